package threat

import "github.com/secpipe/secpipe/internal/pipeline"

// The finding types, named in GuardDuty's
// ThreatPurpose:Runtime/ThreatFamily.Mechanism!Artifact style. They are the
// RuleID of every finding this package emits.
const (
	TypeC2Domain             = "Backdoor:Runtime/C&CActivity.B!DNS"
	TypeC2IP                 = "Backdoor:Runtime/C&CActivity.B"
	TypeMiningDomain         = "CryptoCurrency:Runtime/BitcoinTool.B!DNS"
	TypeMiningNetwork        = "CryptoCurrency:Runtime/BitcoinTool.B"
	TypeMinerExecuted        = "Execution:Runtime/CryptoMinerExecuted"
	TypeDGADomain            = "Trojan:Runtime/DGADomainRequest.C!DNS"
	TypeDNSExfiltration      = "Trojan:Runtime/DNSDataExfiltration"
	TypeMaliciousIP          = "UnauthorizedAccess:Runtime/MaliciousIPCaller.Custom"
	TypeMaliciousDomain      = "UnauthorizedAccess:Runtime/MaliciousDomainRequest.Custom!DNS"
	TypeSpambot              = "Backdoor:Runtime/Spambot"
	TypePortscan             = "Recon:Runtime/Portscan"
	TypePortUnusual          = "Behavior:Runtime/NetworkPortUnusual"
	TypeNewBinary            = "Execution:Runtime/NewBinaryExecuted"
	TypeSystemConfigModified = "Persistence:Runtime/SystemConfigModified"
	TypeSystemBinaryModified = "DefenseEvasion:Runtime/SystemBinaryModified"
	TypeCronModified         = "Persistence:Runtime/CronJobModified"
	TypeSSHKeysModified      = "Persistence:Runtime/SSHAuthorizedKeysModified"
	TypeReverseShell         = "Execution:Runtime/ReverseShell"
	TypeSuspiciousTool       = "Execution:Runtime/SuspiciousTool"
	TypePackageManager       = "Execution:Runtime/PackageManagerExecuted"
	TypeMetadataAccess       = "CredentialAccess:Runtime/InstanceMetadataAccess"
)

// FindingType describes one kind of finding: its id, severity, title and
// the advice every finding of the type carries.
type FindingType struct {
	ID          string
	Severity    pipeline.Severity
	Title       string
	Remediation string
	Reference   string
}

const (
	refRuntime = "https://docs.aws.amazon.com/guardduty/latest/ug/findings-runtime-monitoring.html"
	refActive  = "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_finding-types-active.html"
	refLists   = "https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_upload-lists.html"
	adviseImg  = "Find which package or script of the image does this; rebuild the image without it, or rotate credentials if it is compromised."
)

// FindingTypes lists every finding type, in the order of the package
// documentation. The slice is new on every call.
func FindingTypes() []FindingType {
	return []FindingType{
		{TypeC2Domain, pipeline.SeverityHigh, "Query of a command-and-control domain", adviseImg, refRuntime},
		{TypeC2IP, pipeline.SeverityHigh, "Connection to a command-and-control address", adviseImg, refRuntime},
		{TypeMiningDomain, pipeline.SeverityHigh, "Query of a crypto-mining domain", adviseImg, refRuntime},
		{TypeMiningNetwork, pipeline.SeverityHigh, "Crypto-mining pool traffic", adviseImg, refRuntime},
		{TypeMinerExecuted, pipeline.SeverityHigh, "Crypto-miner executed", adviseImg, refRuntime},
		{TypeDGADomain, pipeline.SeverityMedium, "Query of an algorithmically generated domain", adviseImg, refRuntime},
		{TypeDNSExfiltration, pipeline.SeverityHigh, "Data exfiltration through DNS queries", adviseImg, refRuntime},
		{TypeMaliciousIP, pipeline.SeverityHigh, "Connection to an address on a threat list", "Check why the image contacts a listed address; remove the list entry if it is a false positive.", refLists},
		{TypeMaliciousDomain, pipeline.SeverityHigh, "Query of a domain on a threat list", "Check why the image queries a listed domain; add it to a trusted list if it is a false positive.", refLists},
		{TypeSpambot, pipeline.SeverityMedium, "Outbound SMTP connection", "Images should not send mail directly; use a mail relay service or remove the sender.", refActive},
		{TypePortscan, pipeline.SeverityMedium, "Port scan", adviseImg, refActive},
		{TypePortUnusual, pipeline.SeverityLow, "Connection on a port outside the allow-list", "Add the port to the image's allowed ports if it is expected, else find what uses it.", refActive},
		{TypeNewBinary, pipeline.SeverityMedium, "Binary not shipped in the image executed", "Golden images should run only what they ship; build the binary into the image or find what dropped it.", refRuntime},
		{TypeSystemConfigModified, pipeline.SeverityMedium, "System configuration under /etc modified at runtime", "Bake configuration into the image at build time; find what changes it at runtime.", refRuntime},
		{TypeSystemBinaryModified, pipeline.SeverityHigh, "System binary or library modified at runtime", adviseImg, refRuntime},
		{TypeCronModified, pipeline.SeverityHigh, "Cron job created or modified at runtime", adviseImg, refRuntime},
		{TypeSSHKeysModified, pipeline.SeverityHigh, "SSH authorized_keys modified at runtime", "Remove the added key, rotate access and find what wrote it.", refRuntime},
		{TypeReverseShell, pipeline.SeverityHigh, "Reverse shell", adviseImg, refRuntime},
		{TypeSuspiciousTool, pipeline.SeverityMedium, "Suspicious tool executed", "Remove network tools and download-and-run steps from the running image.", refRuntime},
		{TypePackageManager, pipeline.SeverityLow, "Package manager executed at runtime", "Install packages when the image is built, not when it runs.", refRuntime},
		{TypeMetadataAccess, pipeline.SeverityMedium, "Instance metadata service accessed", "Check that the image needs instance credentials; require IMDSv2 and limit the role.", refRuntime},
	}
}
