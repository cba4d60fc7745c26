"""CarePath engine: models, the SpiffWorkflow runtime and domain services. Imports nothing from webui."""
