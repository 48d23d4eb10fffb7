"""The suspect ranking shared by the portal and the evaluation on real histories."""
