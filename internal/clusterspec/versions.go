// Package clusterspec holds the EKS facts the cluster components obey, each kept in one place with its
// source: which Kubernetes versions EKS still creates, the VPC CNI add-on's configuration schema, the
// IAM documents, and what an instance type name says. All of it is plain data and pure functions.
package clusterspec

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// KubernetesVersion is one EKS Kubernetes version and its support window. Dates are the last day of
// support.
type KubernetesVersion struct {
	Version         string
	StandardSupport time.Time
	ExtendedSupport time.Time
	// Approximate: only the month is known, as in AWS's calendar, whose "dates with only a month and
	// a year are approximate". The dates are then that month's first day, so warnings come early
	// rather than late.
	Approximate bool
}

// date is how a support date is told to the user.
func (v KubernetesVersion) date(t time.Time) string {
	if v.Approximate {
		return t.Format("January 2006") + " (approximate)"
	}
	return t.Format(time.DateOnly)
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// KubernetesVersions are the versions EKS offers, oldest first. Source: the Amazon EKS Kubernetes
// release calendar (docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html), as of
// 2026-11: standard support lasts 14 months from the EKS release, extended support 12 more.
// Versions whose extended support has ended can no longer be created and are left out.
//
// 1.36 came to EKS in June 2026: amazon-eks-ami's v20260610 is the first release with 1.36 AMIs
// (v20260505 has none; its CHANGELOG.md). No exact date was at hand, so its window is the calendar's
// rule applied to that month: standard support to August 2027, extended to August 2028.
var KubernetesVersions = []KubernetesVersion{
	{"1.32", day("2026-03-23"), day("2027-03-23"), false},
	{"1.33", day("2026-07-29"), day("2027-07-29"), false},
	{"1.34", day("2026-12-02"), day("2027-12-02"), false},
	{"1.35", day("2027-03-27"), day("2028-03-27"), false},
	{"1.36", day("2027-08-01"), day("2028-08-01"), true},
}

// DefaultKubernetesVersion is what a stack without kubernetesVersion runs: 1.35, the newest version
// whose end of standard support AWS has dated (2027-03-27). 1.36 is offered, but moving the default
// would upgrade the control plane of every stack that leaves the key unset, the presets included, at
// its next pulumi up; that should be a decision in the stack file, not a side effect of an update.
const DefaultKubernetesVersion = "1.35"

// Support is a version's state on a given day.
type Support struct {
	Version KubernetesVersion
	// Extended is true when only (paid) extended support is left.
	Extended bool
	// Warning, when set, is worth telling the user: paid extended support, or standard support ending
	// within 30 days.
	Warning string
}

var versionPattern = regexp.MustCompile(`^1\.[0-9]+$`)

// SupportOn checks that EKS can create the version on the given day. The error lists the valid ones.
func SupportOn(version string, today time.Time) (Support, error) {
	var creatable []string
	var found *KubernetesVersion
	for i, v := range KubernetesVersions {
		if today.Before(v.ExtendedSupport) {
			label := v.Version
			if !today.Before(v.StandardSupport) {
				label += " (extended support only, paid)"
			}
			creatable = append(creatable, label)
			if v.Version == version {
				found = &KubernetesVersions[i]
			}
		}
	}
	if found == nil {
		reason := "not a Kubernetes version; versions look like " + DefaultKubernetesVersion
		switch {
		case slices.ContainsFunc(KubernetesVersions, func(v KubernetesVersion) bool { return v.Version == version }):
			reason = "its extended support has ended, so EKS cannot create it"
		case versionPattern.MatchString(version):
			reason = "EKS does not create clusters of this version"
		}
		return Support{}, fmt.Errorf("%s; use one of %s", reason, strings.Join(creatable, ", "))
	}
	s := Support{Version: *found}
	switch {
	case !today.Before(found.StandardSupport):
		s.Extended = true
		s.Warning = fmt.Sprintf("Kubernetes %s is in extended support only, which AWS charges extra for, until %s; upgrade to a version in standard support",
			version, found.date(found.ExtendedSupport))
	case found.StandardSupport.Sub(today) <= 30*24*time.Hour:
		s.Warning = fmt.Sprintf("standard support of Kubernetes %s ends on %s; after that EKS charges for extended support",
			version, found.date(found.StandardSupport))
	}
	return s, nil
}
