package multus

import (
	"eks-advanced-networking/internal/netnstest"
)

// The network tests' helpers are internal/netnstest's.
var (
	requireRoot = netnstest.RequireRoot
	stopper     = netnstest.Stopper
	run         = netnstest.Run
	netns       = netnstest.Netns
	inNetns     = netnstest.InNetns
)
