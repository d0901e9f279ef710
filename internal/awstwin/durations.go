package awstwin

import "time"

// durations is how long AWS typically takes to create and to delete a resource. The twin waits that
// long, times the run's scale, so that what runs in parallel overlaps as it would on AWS.
//
// Typical values, each from measured runs:
//   - VPC: 2 s (turbot/steampipe-plugin-aws#571; DevopsArtFactory/terraform-provisioning#7).
//   - Subnet, internet gateway, route table, route, EIP: 0-7 s create, 1-5 s delete (same sources).
//   - Security group and rules: 1-5 s (hashicorp-education/learn-terraform-variables#6).
//   - NAT gateway: 90 s create, 60 s delete (hashicorp/terraform-provider-aws#47349: 186.6 s both).
//   - ENI: 1 s create.
type durations struct {
	create, delete time.Duration
}

var (
	quick      = durations{create: 2 * time.Second, delete: 2 * time.Second}
	gateway    = durations{create: 3 * time.Second, delete: 3 * time.Second}
	natGateway = durations{create: 90 * time.Second, delete: 60 * time.Second}
)

// Took is the modelled create and delete time of typ, scaled: scale 1/60 turns a NAT gateway's 90 s
// into 1.5 s. Scale 0 takes no time.
func Took(typ string, scale float64) (creating, deleting time.Duration) {
	d := handlers[typ].took
	return time.Duration(float64(d.create) * scale), time.Duration(float64(d.delete) * scale)
}
