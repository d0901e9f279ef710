package awstwin

import (
	"sort"
	"time"
)

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

// LongestPath is the critical path of a run: the chain of dependent steps whose durations add up
// to the most. took holds each step's duration (steps that take no time may be left out), deps what
// each step waited for. Ties go to the name that sorts first, so the answer is stable.
func LongestPath(took map[string]time.Duration, deps map[string][]string) (time.Duration, []string) {
	memo := map[string]time.Duration{}
	next := map[string]string{}
	var visit func(n string, seen map[string]bool) time.Duration
	visit = func(n string, seen map[string]bool) time.Duration {
		if d, ok := memo[n]; ok {
			return d
		}
		if seen[n] {
			return 0 // a cycle cannot happen in the engine's graph; stop rather than loop
		}
		seen[n] = true
		var best time.Duration
		bestDep := ""
		ds := append([]string(nil), deps[n]...)
		sort.Strings(ds)
		for _, d := range ds {
			if v := visit(d, seen); v > best || bestDep == "" && v == best && v > 0 {
				best, bestDep = v, d
			}
		}
		delete(seen, n)
		memo[n], next[n] = took[n]+best, bestDep
		return memo[n]
	}
	names := make([]string, 0, len(deps)+len(took))
	for n := range deps {
		names = append(names, n)
	}
	for n := range took {
		names = append(names, n)
	}
	sort.Strings(names)
	var total time.Duration
	last := ""
	for _, n := range names {
		if v := visit(n, map[string]bool{}); v > total {
			total, last = v, n
		}
	}
	var path []string
	for n := last; n != ""; n = next[n] {
		if took[n] > 0 {
			path = append([]string{n}, path...)
		}
	}
	return total, path
}
