"""The channels a message leaves by: e-mail and chat webhooks (the inbox needs no sending)."""
