"""TraderAdmin's invoke tasks: one namespace per subject, all logic in `traderadmin`.

Only cheap imports belong at module level here and in the task modules:
`invoke --list` must stay fast, so each task imports the library it needs
inside its body.
"""
from invoke import Collection

from . import app, bootstrap, cluster, config, conformance, doctor, images, stack, test

ns = Collection()
ns.add_collection(app)
ns.add_task(bootstrap.bootstrap)
ns.add_collection(cluster)
ns.add_collection(config)
ns.add_collection(conformance)
ns.add_task(doctor.doctor)
ns.add_collection(images)
ns.add_collection(test)
for t in (stack.up, stack.deploy, stack.reload, stack.watch, stack.status, stack.logs, stack.down):
    ns.add_task(t)

# Project defaults; override them in invoke.yaml or with INVOKE_TRADERADMIN_* variables.
ns.configure(
    {
        "traderadmin": {
            "config_path": "config/config.toml",
            "schema_path": "config/schema.json",
            "backups_kept": 20,
            "namespace": "traderadmin",
            "provider": "auto",
            # A kube context to use instead of the provider's own ("": none), and a registry
            # (HOST/PREFIX) to push images to instead of loading them ("": none).
            "context": "",
            "registry": "",
            "host_network": False,
            "deploy_timeout": 300,
            "reload_timeout": 30,
        }
    }
)
