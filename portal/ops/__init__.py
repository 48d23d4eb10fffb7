"""Operations: health and readiness checks, request and task ids in the logs, Prometheus metrics, backups."""
