// Command configwriter is the only process that mounts the config volume
// read-write. The toolkit reaches it through the API server's exec, so the
// services can mount the volume read-only and nothing else needs rights to it.
//
//	configwriter serve --dir /config --addr :8080
//	configwriter put PATH SHA256 BASE64
//	configwriter stat PATH
//	configwriter own DIR UID GID   (the one-shot volume-owner pod, as root with CAP_CHOWN only)
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "configwriter:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: configwriter serve|put|stat|own ...")
	}
	switch args[0] {
	case "serve":
		return serve(args[1:])
	case "put":
		if len(args) != 4 {
			return fmt.Errorf("usage: configwriter put PATH SHA256 BASE64")
		}
		return put(args[1], args[2], args[3], os.Stdout)
	case "stat":
		if len(args) != 2 {
			return fmt.Errorf("usage: configwriter stat PATH")
		}
		return stat(args[1], os.Stdout)
	case "own":
		if len(args) != 4 {
			return fmt.Errorf("usage: configwriter own DIR UID GID")
		}
		return own(args[1], args[2], args[3], os.Stdout)
	}
	return fmt.Errorf("unknown command %q: want serve, put, stat or own", args[0])
}
