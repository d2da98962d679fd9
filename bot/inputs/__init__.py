"""Pure parsing of what comes in: /porch commands, webhook payloads, the config, plan discovery."""
