package clusterspec

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ClusterLogGroupName is the CloudWatch Logs group EKS writes a cluster's control-plane logs to. EKS
// creates it, with no retention, when logging is on and the group does not exist, and never deletes
// it (EKS User Guide, "Send control plane logs to CloudWatch Logs"); created first by the program, it
// is the program's, with a retention, and destroy removes it.
func ClusterLogGroupName(cluster string) string {
	return "/aws/eks/" + cluster + "/cluster"
}

// LogRetentionDays are the retention periods CloudWatch Logs accepts (PutRetentionPolicy,
// retentionInDays); 0 here means never expire, which is CloudWatch's default.
var LogRetentionDays = []int{0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

// CheckLogRetention says why days is not a retention CloudWatch Logs accepts.
func CheckLogRetention(days int) error {
	if slices.Contains(LogRetentionDays, days) {
		return nil
	}
	valid := make([]string, len(LogRetentionDays))
	for i, d := range LogRetentionDays {
		valid[i] = strconv.Itoa(d)
	}
	return fmt.Errorf("CloudWatch Logs keeps logs for one of %s days (0: never expire)", strings.Join(valid, ", "))
}
