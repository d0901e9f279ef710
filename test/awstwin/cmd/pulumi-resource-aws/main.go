// Command pulumi-resource-aws is the AWS twin (test/awstwin) served to the Pulumi engine as the
// resource provider of the package aws. It is a simulator of the AWS rules the twin knows, not AWS:
// put it on PATH only for tests, with EAN_AWS_TWIN_STATE naming the simulated account's file.
//
// Run as aws (a link of that name), it is the twin's aws CLI instead (awstwin.CLI), acting on the
// same account.
//
// It serves gRPC as every provider plugin does: listen on a free loopback port, print the port, serve
// until the engine interrupts it (sdk/go/pulumi/provider.Main does the same, with tracing we do not
// need).
package main

import (
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"

	"eks-advanced-networking/test/awstwin"
)

func main() {
	if filepath.Base(os.Args[0]) == "aws" {
		os.Exit(awstwin.CLI(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	if err := serve(); err != nil {
		fmt.Fprintln(os.Stderr, "pulumi-resource-aws (AWS twin):", err)
		os.Exit(1)
	}
}

func serve() error {
	p, err := awstwin.NewProvider()
	if err != nil {
		return err
	}
	server := plugin.NewProviderServer(p)
	cancel := make(chan bool)
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt)
	go func() {
		<-interrupted
		close(cancel)
	}()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, server)
			return nil
		},
	})
	if err != nil {
		return err
	}
	fmt.Printf("%d\n", handle.Port)
	return <-handle.Done
}
