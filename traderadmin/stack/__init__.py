"""The stack in a cluster, one module per question: what deploy/ renders to (manifests), putting it
in and taking it out (apply), waiting for it (rollout) and saying why it does not run (explain),
the config volume and its writer (volume), what runs now (status), pushing a new config (reload),
following saves (watch), the services' logs (logs), and `invoke deploy` end to end (pipeline)."""
