// Generates internal/clusterspec/awsdata_gen.go from AWS's own data (see main.go).
module eks-advanced-networking/tools/awsdata

go 1.26.6

require (
	github.com/aws/amazon-vpc-cni-k8s v1.23.2
	github.com/aws/aws-sdk-go-v2/service/ec2 v1.344.3
	github.com/hashicorp/aws-sdk-go-base/v2 v2.0.0-beta.74
)

require (
	github.com/aws/smithy-go v1.28.9 // indirect
	github.com/go-logr/logr v1.4.4 // indirect
	github.com/go-logr/zapr v1.3.0 // indirect
	go.uber.org/multierr v1.11.0 // indirect
	go.uber.org/zap v1.28.0 // indirect
	gopkg.in/natefinch/lumberjack.v2 v2.2.1 // indirect
)
