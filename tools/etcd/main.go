// Command etcd is etcd's server, built from go.etcd.io/etcd/server/v3 at the version go.mod pins. The
// e2e suite runs it on loopback as kube-apiserver's store.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
