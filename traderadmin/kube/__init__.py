"""Every way the toolkit reaches a cluster: the light client (api), the SDK-backed handle for
server-side apply (sdk), the Protocols they satisfy (protocol), what they answer (objects),
how they fail (errors), and the kubeconfig they read (kubeconfig). No toolkit module outside
this package imports the kubernetes package or reaches the SDK's clients."""
