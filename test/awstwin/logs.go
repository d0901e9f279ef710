package awstwin

import "slices"

// CloudWatch Logs: log groups, the program's and the one EKS creates for a cluster's control-plane
// logs when none exists (EKS User Guide, "Send control plane logs to CloudWatch Logs"), which EKS
// never deletes. Codes and messages are CloudWatch Logs' (botocore's logs model).

const typeLogGroup = "aws:cloudwatch/logGroup:LogGroup"

// retentionDays are the values PutRetentionPolicy accepts (botocore logs model, retentionInDays enum).
var retentionDays = []int{1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653}

func init() {
	register(typeLogGroup, handler{prefix: "log-group", took: quick,
		create: func(a *Account, r *Record) *Error {
			name := r.str("name")
			if len(a.live(typeLogGroup, func(o *Record) bool { return o.ID == name })) > 0 {
				return awsErr("ResourceAlreadyExistsException", "The specified log group already exists")
			}
			if err := checkRetention(r); err != nil {
				return err
			}
			r.ID = name
			r.Outputs["arn"] = "arn:aws:logs:" + a.Region + ":" + AccountID + ":log-group:" + name
			return nil
		},
		update: func(a *Account, old, r *Record) *Error { return checkRetention(r) },
	})
}

func checkRetention(r *Record) *Error {
	days, set := r.Inputs["retentionInDays"].(float64)
	if set && (!slices.Contains(retentionDays, int(days))) {
		return awsErr("InvalidParameterException", "1 validation error detected: Value '%v' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set", days)
	}
	return nil
}

// eksCreatesLogGroup is what EKS does when a cluster with logging on starts without its log group:
// it creates one, with no retention, that outlives the cluster.
func (a *Account) eksCreatesLogGroup(cluster *Record) {
	if len(anyList(cluster.Inputs["enabledClusterLogTypes"])) == 0 {
		return
	}
	name := "/aws/eks/" + cluster.ID + "/cluster"
	if len(a.live(typeLogGroup, func(o *Record) bool { return o.ID == name })) > 0 {
		return
	}
	a.Resources[name] = &Record{Type: typeLogGroup, ID: name, Inputs: map[string]any{"name": name}, Outputs: map[string]any{}}
}
