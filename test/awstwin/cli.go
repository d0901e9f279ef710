package awstwin

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"slices"
	"strconv"
	"strings"

	"github.com/jmespath/go-jmespath"
)

// The aws CLI as the twin answers it: the commands the program's tools run (pulumi-eks's
// --version, kubeconfigs' eks get-token) and the EC2 calls our Multus boot unit makes on a node
// (internal/multus attach-eni.sh), acting on the account in the state file. Output follows the CLI:
// JSON, or --output text; --query is JMESPath, as the CLI's; a service's refusal is printed as the
// CLI prints it and exits 254, a command it does not simulate exits 252 as a usage error does (AWS
// CLI v2 User Guide, "Command line return codes").

// InstanceEnv names the instance a stand-in machine is, for the CLI run on it: an interface attached
// to that instance appears in the CLI's network namespace, as a hot-plugged ENI appears on an
// instance.
const InstanceEnv = "EAN_AWS_TWIN_INSTANCE"

// cliCall is a parsed command line: service, operation, and options with their values.
type cliCall struct {
	service, operation string
	options            map[string][]string
}

// listOptions take every value up to the next option; the others take one, and --version none.
var listOptions = []string{"filters", "network-interface-ids", "instance-ids"}

func parseCLI(args []string) cliCall {
	c := cliCall{options: map[string][]string{}}
	var positional []string
	option := ""
	for _, arg := range args {
		switch {
		case strings.HasPrefix(arg, "--"):
			option = strings.TrimPrefix(arg, "--")
			c.options[option] = c.options[option][:0:0]
			if option == "version" {
				option = ""
			}
		case option != "":
			c.options[option] = append(c.options[option], arg)
			if !slices.Contains(listOptions, option) {
				option = ""
			}
		default:
			positional = append(positional, arg)
		}
	}
	if len(positional) > 0 {
		c.service = positional[0]
	}
	if len(positional) > 1 {
		c.operation = positional[1]
	}
	return c
}

func (c cliCall) one(option string) string {
	if v := c.options[option]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// CLI runs an aws command line against the account in the state file that getenv(StateEnv) names,
// and returns its exit status.
func CLI(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	c := parseCLI(args)
	if _, ok := c.options["version"]; ok {
		fmt.Fprintln(stdout, "aws-cli/2.17.0 Python/3.11.9 Linux/6.1 exe/x86_64 (AWS twin stand-in)")
		return 0
	}
	operation := c.service + " " + c.operation
	var answer any
	var awsErr *Error
	var toPlug *plugged
	switch operation {
	case "eks get-token":
		// On an instance the caller is its node role (InstanceToken); elsewhere the deployer, whose
		// token is the suite's.
		token := getenv("EAN_AWS_TWIN_CALLER_TOKEN")
		if token == "" {
			token = getenv(TokenEnv)
		}
		if instance := getenv(InstanceEnv); instance != "" {
			a, err := ReadAccount(getenv(StateEnv))
			if err != nil || a == nil {
				fmt.Fprintln(stderr, "the AWS twin's account:", err)
				return 255
			}
			token, awsErr = a.InstanceToken(instance, c.one("cluster-name"))
		}
		answer = map[string]any{"kind": "ExecCredential", "apiVersion": "client.authentication.k8s.io/v1beta1", "spec": map[string]any{},
			"status": map[string]any{"token": token}}
	case "ec2 describe-network-interfaces", "ec2 describe-instances", "ec2 attach-network-interface":
		if err := UpdateAccount(getenv(StateEnv), c.one("region"), func(a *Account) error {
			answer, toPlug, awsErr = a.cliEC2(c, getenv(InstanceEnv))
			return nil
		}); err != nil {
			fmt.Fprintln(stderr, "the AWS twin's account:", err)
			return 255
		}
	default:
		fmt.Fprintf(stderr, "the AWS twin's aws CLI does not simulate %q (aws %s)\n", operation, strings.Join(args, " "))
		return 252
	}
	if awsErr != nil {
		fmt.Fprintf(stderr, "\nAn error occurred (%s) when calling the %s operation: %s\n", awsErr.Code, apiName(c.operation), awsErr.Message)
		return 254
	}
	if toPlug != nil {
		if err := plug(*toPlug); err != nil {
			fmt.Fprintln(stderr, err)
		}
	}
	out, err := cliOutput(answer, c.one("query"), c.one("output"))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 252
	}
	fmt.Fprintln(stdout, out)
	return 0
}

// apiName is an operation's API name: attach-network-interface -> AttachNetworkInterface.
func apiName(operation string) string {
	var b strings.Builder
	for _, word := range strings.Split(operation, "-") {
		if word != "" {
			b.WriteString(strings.ToUpper(word[:1]) + word[1:])
		}
	}
	return b.String()
}

// cliOutput is the answer as the CLI prints it: through the JMESPath query, then as JSON or text.
// Text prints a scalar as it is, null as None, and a list of scalars on one line, tab-separated.
func cliOutput(answer any, query, format string) (string, error) {
	// Through JSON, so the query sees what the CLI's does: objects, lists, strings, numbers.
	raw, err := json.Marshal(answer)
	if err != nil {
		return "", err
	}
	var data any
	if err := json.Unmarshal(raw, &data); err != nil {
		return "", err
	}
	if query != "" {
		if data, err = jmespath.Search(query, data); err != nil {
			return "", fmt.Errorf("bad value for --query %s: %w", query, err)
		}
	}
	if format != "text" {
		out, err := json.MarshalIndent(data, "", "    ")
		return string(out), err
	}
	text := func(v any) (string, error) {
		switch v := v.(type) {
		case nil:
			return "None", nil
		case string:
			return v, nil
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), nil
		case bool:
			return strconv.FormatBool(v), nil
		}
		return "", fmt.Errorf("the AWS twin's aws CLI prints only scalars and lists of them as text, not %T", v)
	}
	list, isList := data.([]any)
	if !isList {
		return text(data)
	}
	fields := make([]string, 0, len(list))
	for _, v := range list {
		s, err := text(v)
		if err != nil {
			return "", err
		}
		fields = append(fields, s)
	}
	return strings.Join(fields, "\t"), nil
}

// cliEC2 answers the EC2 calls, as EC2's API shapes them (EC2 API Reference: DescribeNetworkInterfaces,
// DescribeInstances, AttachNetworkInterface), and names the interface to plug into this machine
// (thisInstance) once the account is saved.
func (a *Account) cliEC2(c cliCall, thisInstance string) (any, *plugged, *Error) {
	switch c.operation {
	case "describe-network-interfaces":
		filters, err := parseCLIFilters(c.options["filters"])
		if err != nil {
			return nil, nil, err
		}
		enis, err := a.describeNetworkInterfaces(c.options["network-interface-ids"], filters)
		return map[string]any{"NetworkInterfaces": enis}, nil, err
	case "describe-instances":
		answer, err := a.describeInstances(c.options["instance-ids"])
		return answer, nil, err
	}
	index, convErr := strconv.Atoi(c.one("device-index"))
	if convErr != nil {
		return nil, nil, awsErr("InvalidParameterValue", "Invalid value '%s' for deviceIndex", c.one("device-index"))
	}
	instance := c.one("instance-id")
	id, err := a.AttachNetworkInterface(c.one("network-interface-id"), instance, index)
	if err != nil {
		return nil, nil, err
	}
	var toPlug *plugged
	if instance == thisInstance && thisInstance != "" {
		toPlug = &plugged{mac: a.Resources[c.one("network-interface-id")].str("macAddress"), index: index}
	}
	return map[string]any{"AttachmentId": id, "NetworkCardIndex": 0}, toPlug, nil
}

// plugged is an attached interface to plug into this machine.
type plugged struct {
	mac   string
	index int
}

// plug is plugInterface; the unit tests, which run on the host's network, record the call instead.
var plug = plugInterface

// plugInterface makes the attached ENI appear in this machine's network namespace, down, with its
// MAC address, as a hot-plugged interface does. The name is the kernel's choice on an instance; the
// unit finds the interface by its MAC, so any name serves.
func plugInterface(p plugged) error {
	name := fmt.Sprintf("ens%d", 5+p.index)
	if out, err := exec.Command("ip", "link", "add", name, "address", p.mac, "type", "veth", "peer", "name", name+"-peer").CombinedOutput(); err != nil { //nolint:gosec // the twin's own arguments
		return fmt.Errorf("the AWS twin could not plug %s in: %w: %s", name, err, out)
	}
	return nil
}

// describeNetworkInterfaces lists the interfaces named (all without names) that pass every filter:
// the account's network interfaces and the primary interface of each instance (EC2 lists those too,
// attached at device index 0 and with the instance's tags, none here).
func (a *Account) describeNetworkInterfaces(ids []string, filters []ec2Filter) ([]map[string]any, *Error) {
	var all []map[string]any
	for _, eni := range a.live(typeNetworkInterface, nil) {
		all = append(all, a.describeNetworkInterface(eni))
	}
	for _, id := range slices.Sorted(maps.Keys(a.Instances)) {
		inst := a.Instances[id]
		all = append(all, map[string]any{"NetworkInterfaceId": inst.PrimaryEni, "SubnetId": inst.SubnetID, "AvailabilityZone": inst.Zone,
			"TagSet": []map[string]any{}, "Status": "in-use", "Attachment": map[string]any{"InstanceId": inst.ID, "DeviceIndex": 0,
				"NetworkCardIndex": 0, "Status": "attached", "DeleteOnTermination": true}})
	}
	for _, id := range ids {
		if !slices.ContainsFunc(all, func(d map[string]any) bool { return d["NetworkInterfaceId"] == id }) {
			return nil, notFound(typeNetworkInterface, id)
		}
	}
	for _, f := range filters {
		if !strings.HasPrefix(f.name, "tag:") && !slices.Contains([]string{"status", "attachment.instance-id", "availability-zone", "subnet-id", "network-interface-id"}, f.name) {
			return nil, awsErr("InvalidParameterValue", "The filter '%s' is invalid", f.name)
		}
	}
	out := []map[string]any{}
	for _, d := range all {
		if len(ids) > 0 && !slices.Contains(ids, d["NetworkInterfaceId"].(string)) {
			continue
		}
		matches := true
		for _, f := range filters {
			value := ""
			switch {
			case strings.HasPrefix(f.name, "tag:"):
				for _, tag := range d["TagSet"].([]map[string]any) {
					if tag["Key"] == strings.TrimPrefix(f.name, "tag:") {
						value, _ = tag["Value"].(string)
					}
				}
			case f.name == "attachment.instance-id":
				if attachment, ok := d["Attachment"].(map[string]any); ok {
					value, _ = attachment["InstanceId"].(string)
				}
			default:
				value, _ = d[map[string]string{"status": "Status", "availability-zone": "AvailabilityZone",
					"subnet-id": "SubnetId", "network-interface-id": "NetworkInterfaceId"}[f.name]].(string)
			}
			matches = matches && value != "" && slices.Contains(f.values, value)
		}
		if matches {
			out = append(out, d)
		}
	}
	return out, nil
}

// ec2Filter is one of a Describe call's filters: a name and the values any of which it matches.
type ec2Filter struct {
	name   string
	values []string
}

// parseCLIFilters reads the aws CLI's --filters shorthand, Name=<name>,Values=<v1>,<v2>.
func parseCLIFilters(filters []string) ([]ec2Filter, *Error) {
	var parsed []ec2Filter
	for _, f := range filters {
		name, values, ok := strings.Cut(strings.TrimPrefix(f, "Name="), ",Values=")
		if !ok {
			return nil, awsErr("InvalidParameterValue", "Error parsing parameter '--filters': %s", f)
		}
		parsed = append(parsed, ec2Filter{name, strings.Split(values, ",")})
	}
	return parsed, nil
}

func (a *Account) describeNetworkInterface(eni *Record) map[string]any {
	zone := ""
	if subnet := a.Resources[eni.str("subnetId")]; subnet != nil {
		zone = subnet.str("availabilityZone")
	}
	tags := object(eni.Inputs["tags"])
	tagSet := []map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		tagSet = append(tagSet, map[string]any{"Key": k, "Value": tags[k]})
	}
	d := map[string]any{"NetworkInterfaceId": eni.ID, "MacAddress": eni.str("macAddress"), "SubnetId": eni.str("subnetId"),
		"AvailabilityZone": zone, "Description": eni.str("description"), "TagSet": tagSet, "Status": "available"}
	if instance, ok := eni.Outputs["attachedTo"].(string); ok {
		d["Status"] = "in-use"
		d["Attachment"] = map[string]any{"InstanceId": instance, "DeviceIndex": deviceIndexOf(eni), "NetworkCardIndex": 0,
			"Status": "attached", "DeleteOnTermination": eni.Outputs["deleteOnTermination"] == true}
	}
	return d
}

// describeInstances describes the instances named (all without names), one reservation each.
func (a *Account) describeInstances(ids []string) (any, *Error) {
	for _, id := range ids {
		if a.Instances[id] == nil {
			return nil, awsErr("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
		}
	}
	reservations := []any{}
	for _, id := range slices.Sorted(maps.Keys(a.Instances)) {
		if len(ids) > 0 && !slices.Contains(ids, id) {
			continue
		}
		inst := a.Instances[id]
		interfaces := []any{map[string]any{"NetworkInterfaceId": inst.PrimaryEni, "SubnetId": inst.SubnetID,
			"Attachment": map[string]any{"DeviceIndex": 0, "NetworkCardIndex": 0, "Status": "attached", "DeleteOnTermination": true}}}
		for _, eni := range a.attachedTo(id) {
			described := a.describeNetworkInterface(eni)
			interfaces = append(interfaces, map[string]any{"NetworkInterfaceId": eni.ID, "MacAddress": described["MacAddress"],
				"SubnetId": eni.str("subnetId"), "Attachment": described["Attachment"]})
		}
		reservations = append(reservations, map[string]any{"Instances": []any{map[string]any{
			"InstanceId": inst.ID, "InstanceType": inst.InstanceType, "PrivateDnsName": inst.Node, "PrivateIpAddress": inst.PrivateIP,
			"SubnetId": inst.SubnetID, "Placement": map[string]any{"AvailabilityZone": inst.Zone}, "State": map[string]any{"Name": "running"},
			"NetworkInterfaces": interfaces,
		}}})
	}
	return map[string]any{"Reservations": reservations}, nil
}
