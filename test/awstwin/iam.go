package awstwin

import (
	"encoding/json"
	"fmt"
	"strings"
)

// IAM: roles, their inline and managed policies, and OIDC providers. Codes and messages are IAM's
// (bc:iam = botocore's IAM model; tpa = terraform-provider-aws).

const (
	typeRole             = "aws:iam/role:Role"
	typeRolePolicy       = "aws:iam/rolePolicy:RolePolicy"
	typeRolePolicyAttach = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
	typeOidcProvider     = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"
)

// IAM's quotas (IAM User Guide, "IAM and AWS STS quotas"): managed policies per role (default 10),
// the inline policies of a role together, and a trust policy.
const (
	managedPoliciesPerRole = 10
	inlinePolicyBytes      = 10240
	trustPolicyBytes       = 2048
	roleNameMax            = 64
)

// awsManagedPolicies are the AWS-managed policies the twin knows exist; attaching another
// arn:aws:iam::aws:policy/... gets NoSuchEntity, as a misspelt name does on AWS (pulumi/pulumi#7419).
var awsManagedPolicies = map[string]bool{
	"AmazonEKSClusterPolicy": true, "AmazonEKSVPCResourceController": true, "AmazonEKSWorkerNodePolicy": true,
	"AmazonEKS_CNI_Policy": true, "AmazonEC2ContainerRegistryReadOnly": true, "AmazonSSMManagedInstanceCore": true,
	"AmazonEKSServicePolicy": true, "AmazonEBSCSIDriverPolicy": true, "ElasticLoadBalancingFullAccess": true,
}

// validJSONPolicy is IAM's first check of a policy document.
func validJSONPolicy(doc string) *Error {
	var v struct {
		Version   string
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(doc), &v); err != nil || len(v.Statement) == 0 {
		return awsErr("MalformedPolicyDocument", "This policy contains invalid Json")
	}
	return nil
}

func init() {
	register(typeRole, handler{prefix: "role", took: quick,
		create: func(a *Account, r *Record) *Error {
			name := r.str("name")
			if len(name) > roleNameMax {
				// bc:iam roleNameType; NixOS/nixops#328 for the wording.
				return awsErr("ValidationError", "1 validation error detected: Value '%s' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64", name)
			}
			if len(a.live(typeRole, func(o *Record) bool { return o.str("name") == name })) > 0 {
				return awsErr("EntityAlreadyExists", "Role with name %s already exists.", name)
			}
			if err := checkTrustPolicy(r); err != nil {
				return err
			}
			r.ID = name
			r.Outputs["arn"] = fmt.Sprintf("arn:aws:iam::%s:role%s%s", AccountID, pathOr(r.str("path")), name)
			r.Outputs["uniqueId"] = fmt.Sprintf("AROA%016X", a.Sequence)
			return nil
		},
		update: func(a *Account, old, r *Record) *Error { return checkTrustPolicy(r) },
		// "Cannot delete entity, must detach all policies first." (hashicorp/boundary#5646); inline
		// policies: "…must delete policies first." (rebuy-de/aws-nuke#294). pulumi-aws detaches
		// nothing itself unless forceDetachPolicies is set.
		delete: func(a *Account, r *Record) *Error {
			forRole := func(o *Record) bool { return o.str("role") == r.ID }
			if b, _ := r.Inputs["forceDetachPolicies"].(bool); b {
				for _, o := range append(a.live(typeRolePolicyAttach, forRole), a.live(typeRolePolicy, forRole)...) {
					delete(a.Resources, o.ID)
				}
			}
			if len(a.live(typeRolePolicyAttach, forRole)) > 0 {
				return awsErr("DeleteConflict", "Cannot delete entity, must detach all policies first.")
			}
			if len(a.live(typeRolePolicy, forRole)) > 0 {
				return awsErr("DeleteConflict", "Cannot delete entity, must delete policies first.")
			}
			return nil
		},
	})

	register(typeRolePolicy, handler{prefix: "policy", took: quick,
		create: func(a *Account, r *Record) *Error {
			if err := a.checkInlinePolicy(r); err != nil {
				return err
			}
			r.ID = r.str("role") + ":" + r.str("name")
			return nil
		},
		update: func(a *Account, old, r *Record) *Error { return a.checkInlinePolicy(r) },
	})

	register(typeRolePolicyAttach, handler{prefix: "attach", took: quick,
		create: func(a *Account, r *Record) *Error {
			role, err := a.role(r.str("role"))
			if err != nil {
				return err
			}
			arn := r.str("policyArn")
			if name, ok := strings.CutPrefix(arn, "arn:aws:iam::aws:policy/"); !ok || !awsManagedPolicies[name] {
				return awsErr("NoSuchEntity", "Policy %s does not exist or is not attachable.", arn)
			}
			attached := a.live(typeRolePolicyAttach, func(o *Record) bool { return o.str("role") == role.ID })
			if len(attached) >= managedPoliciesPerRole {
				return awsErr("LimitExceeded", "Cannot exceed quota for PoliciesPerRole: %d", managedPoliciesPerRole)
			}
			r.ID = role.ID + "-" + r.ID
			return nil
		},
	})

	register(typeOidcProvider, handler{prefix: "oidc", took: quick,
		create: func(a *Account, r *Record) *Error {
			url := r.str("url")
			host := strings.TrimPrefix(url, "https://")
			if !strings.HasPrefix(url, "https://") || host == "" {
				return awsErr("InvalidInput", "Invalid URL %s: it must begin with https://", url)
			}
			// DrFaust92/terraform-kubernetes-ebs-csi-driver#107
			if len(a.live(typeOidcProvider, func(o *Record) bool { return o.str("url") == url })) > 0 {
				return awsErr("EntityAlreadyExists", "Provider with url %s already exists.", url)
			}
			r.ID = fmt.Sprintf("arn:aws:iam::%s:oidc-provider/%s", AccountID, host)
			r.Outputs["arn"] = r.ID
			return nil
		},
		update: func(a *Account, old, r *Record) *Error { return nil },
	})
}

func pathOr(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// role is the role a policy names, by name or ARN.
func (a *Account) role(nameOrArn string) (*Record, *Error) {
	name := nameOrArn[strings.LastIndex(nameOrArn, "/")+1:]
	if r, ok := a.Resources[name]; ok && r.Type == typeRole {
		return r, nil
	}
	return nil, awsErr("NoSuchEntity", "The role with name %s cannot be found.", name)
}

func checkTrustPolicy(r *Record) *Error {
	doc := r.str("assumeRolePolicy")
	if err := validJSONPolicy(doc); err != nil {
		return err
	}
	if len(doc) > trustPolicyBytes {
		// "Cannot exceed quota for ACLSizePerRole: 2048" (kubeflow/kubeflow#6687)
		return awsErr("LimitExceeded", "Cannot exceed quota for ACLSizePerRole: %d", trustPolicyBytes)
	}
	return nil
}

func (a *Account) checkInlinePolicy(r *Record) *Error {
	role, err := a.role(r.str("role"))
	if err != nil {
		return err
	}
	doc := r.str("policy")
	if err := validJSONPolicy(doc); err != nil {
		return err
	}
	total := len(doc)
	for _, o := range a.live(typeRolePolicy, func(o *Record) bool { return o.str("role") == role.ID && o.ID != r.ID }) {
		total += len(o.str("policy"))
	}
	if total > inlinePolicyBytes {
		// serverless/serverless#7643
		return awsErr("LimitExceeded", "Maximum policy size of %d bytes exceeded for role %s", inlinePolicyBytes, role.ID)
	}
	return nil
}
