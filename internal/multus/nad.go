package multus

import (
	"encoding/json"
	"fmt"

	nadv1 "github.com/k8snetworkplumbingwg/network-attachment-definition-client/pkg/apis/k8s.cni.cncf.io/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The chapter's secondary network: ipvlan in L3 mode on the interface the node's user data renamed.
const (
	CNIVersion = "0.3.1"
	Master     = "multus"
	IpvlanMode = "l3"
	// NadNamespace is where the NADs and the demo pod live.
	NadNamespace = "default"
)

// IpvlanConfig is a NAD's CNI configuration. Multus adds the network's name (the NAD's) when it runs
// the plugin, so the configuration has none.
type IpvlanConfig struct {
	CNIVersion string    `json:"cniVersion"`
	Type       string    `json:"type"`
	Master     string    `json:"master"`
	Mode       string    `json:"mode"`
	IPAM       HostLocal `json:"ipam"`
}

// HostLocal is host-local IPAM over the network's range.
type HostLocal struct {
	Type       string `json:"type"`
	Subnet     string `json:"subnet"`
	RangeStart string `json:"rangeStart"`
	RangeEnd   string `json:"rangeEnd"`
	Gateway    string `json:"gateway"`
	// DataDir is where host-local keeps its leases; empty means its default, /var/lib/cni/networks.
	DataDir string `json:"dataDir,omitempty"`
}

// CNIConfig is the network's ipvlan configuration.
func (n Network) CNIConfig() IpvlanConfig {
	return IpvlanConfig{
		CNIVersion: CNIVersion, Type: "ipvlan", Master: Master, Mode: IpvlanMode,
		IPAM: HostLocal{
			Type: "host-local", Subnet: n.Subnet.String(),
			RangeStart: n.RangeStart.String(), RangeEnd: n.RangeEnd.String(), Gateway: n.Gateway.String(),
		},
	}
}

// NetworkAttachmentDefinition is the network's NAD.
func (n Network) NetworkAttachmentDefinition() (*nadv1.NetworkAttachmentDefinition, error) {
	config, err := json.Marshal(n.CNIConfig())
	if err != nil {
		return nil, err
	}
	return &nadv1.NetworkAttachmentDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: nadv1.SchemeGroupVersion.String(), Kind: "NetworkAttachmentDefinition"},
		ObjectMeta: metav1.ObjectMeta{Name: n.Name, Namespace: NadNamespace},
		Spec:       nadv1.NetworkAttachmentDefinitionSpec{Config: string(config)},
	}, nil
}

// ExpectedAddress is the address the n-th pod (from 0) on the network's node gets: host-local hands
// out the range in order.
func (n Network) ExpectedAddress(i int) (string, error) {
	if i < 0 || i >= n.Size() {
		return "", fmt.Errorf("the range of %s holds %d addresses", n.Name, n.Size())
	}
	return fromIndex(addrIndex(n.RangeStart) + uint32(i)).String(), nil
}
