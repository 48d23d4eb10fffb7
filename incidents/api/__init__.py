"""The incidents app's REST API: incidents, suspects, link decisions, deployments."""
