package secrets

import (
	"net/url"
	"slices"
	"strings"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// Value alphabets shared by the cloud rules.
const (
	cloudUUID     = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`
	cloudUUIDTail = `0-9A-Za-z-`
	azureKeyRE    = `[A-Za-z0-9+/]{86}==`
	azureSAKRE    = `[A-Za-z0-9+/]{43}=`
	cloudB64Tail  = `A-Za-z0-9+/=`
	awsGroup      = "aws"
	azStorage     = "azure-storage"
)

// cloudRules covers cloud providers, hosting platforms and infrastructure
// secret stores.
func cloudRules() []Rule {
	return slices.Concat(awsRules(), gcpRules(), azureRules(), providerRules(), hostingRules(),
		hashicorpRules(), deployRules(), dataPlatformRules())
}

func awsRules() []Rule {
	ids := "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids"
	keys := "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html"
	rotate := "Deactivate and delete the access key in IAM (Security credentials), then issue a new one."
	return []Rule{{
		ID: "aws-access-key-id", Title: "AWS access key ID", Severity: pipeline.SeverityCritical,
		Keywords: []string{"akia", "asia", "abia", "acca"},
		Pattern:  credToken(`A-Za-z0-9`, `(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}`), MinEntropy: 3,
		CredentialGroup: awsGroup, Remediation: rotate, References: []string{ids, keys},
	}, {
		ID: "aws-unique-id", Title: "AWS IAM unique identifier", Severity: pipeline.SeverityInfo,
		Keywords: []string{"agpa", "aida", "aroa", "aipa", "anpa", "anva"},
		Pattern:  credToken(`A-Za-z0-9`, `(?:AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z2-7]{16}`), MinEntropy: 3,
		Remediation: "Not a credential by itself: remove it if it reveals account structure you keep private.",
		References:  []string{ids},
	}, {
		ID: "aws-secret-access-key", Title: "AWS secret access key", Severity: pipeline.SeverityCritical,
		Keywords: []string{"aws_secret", "aws-secret", "aws.secret", "awssecret", "secret_access_key", "secretaccesskey", "secret-access-key",
			"akia", "asia"},
		// Either a name that says AWS, or any "secret" name on one of the
		// four lines after an access key ID (a provider block, a state file).
		Multiline: true,
		Pattern: `(?:(?i:aws[_.-]?secret(?:[_.-]?access)?(?:[_.-]?key)?|secret[_.-]?access[_.-]?key)` + credSep +
			`|` + pairedAfter(`(?:AKIA|ASIA)[A-Z2-7]{16}`) + `)(?P<secret>[A-Za-z0-9/+]{40})(?:$|[^` + cloudB64Tail + `])`,
		MinEntropy: 4, Verify: credMixedCase, CredentialGroup: awsGroup, Remediation: rotate, References: []string{keys},
	}, {
		ID: "aws-session-token", Title: "AWS temporary session token", Severity: pipeline.SeverityHigh,
		Keywords:   []string{"session_token", "sessiontoken", "session-token", "security_token", "securitytoken", "security-token"},
		Pattern:    credAssign(`aws[_.-]?(?:session|security)[_.-]?token|x-amz-security-token|sessiontoken`, `[A-Za-z0-9/+]{100,}={0,2}`, cloudB64Tail),
		MinEntropy: 4.5, Verify: func(s, _ string) bool { return credB64Len(s) >= 75 },
		CredentialGroup: awsGroup,
		Remediation:     "Revoke the role's active sessions in IAM and find how the temporary credentials leaked.",
		References:      []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_use-resources.html"},
	}, {
		ID: "aws-account-id", Title: "AWS account ID", Severity: pipeline.SeverityInfo,
		Keywords: []string{"aws_account", "aws-account", "awsaccount", "aws.account", "allowed_account_ids"},
		Pattern: `(?i:aws[_.-]?account(?:[_.-]?(?:ids?|number|no))?|allowed_account_ids)` + credSep +
			`\[?\s*["']?(?P<secret>\d{12})(?:$|[^0-9])`,
		Verify:      awsAccountIDOK,
		Remediation: "Not a credential by itself: keep account IDs in configuration rather than code if they are private.",
		References:  []string{"https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html"},
	}, {
		ID: "aws-mws-auth-token", Title: "Amazon Marketplace Web Service auth token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"amzn.mws."}, Pattern: credToken(`A-Za-z0-9_.-`, `amzn\.mws\.`+cloudUUID),
		Remediation: "Revoke the developer's access in Seller Central (User Permissions) and authorise again.",
		References:  []string{"https://docs.developer.amazonservices.com/en_US/dev_guide/DG_AuthTokenFAQ.html"},
	}, {
		ID: "aws-bedrock-api-key", Title: "Amazon Bedrock long-term API key", Severity: pipeline.SeverityHigh,
		Keywords: []string{"absk"}, Pattern: credToken(cloudB64Tail, `ABSKQmVkcm9ja0FQSUtleS[A-Za-z0-9+/]{40,400}={0,2}`),
		Verify: func(s, _ string) bool {
			d, ok := credB64(s[len("ABSK"):])
			return ok && strings.HasPrefix(d, "BedrockAPIKey-") && strings.Contains(d, ":")
		},
		Remediation: "Delete the service-specific credential of the IAM user in the IAM console and issue a new key.",
		References:  []string{"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_bedrock.html"},
	}, {
		ID: "aws-bedrock-short-term-key", Title: "Amazon Bedrock short-term API key", Severity: pipeline.SeverityMedium,
		Keywords: []string{"bedrock-api-key-"},
		Pattern:  credToken(cloudB64Tail, `bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/]{100,}={0,2}`),
		Verify: func(s, _ string) bool {
			d, ok := credB64(s[len("bedrock-api-key-"):])
			return ok && strings.Contains(d, "X-Amz-Credential=") && strings.Contains(d, "X-Amz-Signature=")
		},
		Remediation: "Revoke the sessions of the IAM principal that generated it; the key expires within 12 hours.",
		References:  []string{"https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-how.html"},
	}}
}

func gcpRules() []Rule {
	return []Rule{{
		ID: "gcp-service-account-key", Title: "Google Cloud service account key file", Severity: pipeline.SeverityCritical,
		Keywords: []string{"service_account", "private_key_id"}, Multiline: true, MaxLen: 4096,
		Pattern: `(?s)(?:"type"\s*:\s*"service_account".*?)?"private_key_id"\s*:\s*"(?P<secret>[0-9a-f]{40})"` +
			`(?:.*?"type"\s*:\s*"service_account")?`,
		Verify:      func(_, m string) bool { return strings.Contains(m, `"service_account"`) },
		Remediation: "Delete the key under IAM > Service accounts > Keys in the Google Cloud console and create a new one.",
		References:  []string{"https://cloud.google.com/iam/docs/keys-create-delete"},
	}, {
		ID: "google-api-key", Title: "Google Cloud API key", Severity: pipeline.SeverityHigh,
		Keywords: []string{"aiza"}, Pattern: credToken(`A-Za-z0-9_-`, `AIza[0-9A-Za-z_-]{35}`), MinEntropy: 3.5,
		Remediation: "Delete or regenerate the key under APIs & Services > Credentials and restrict its replacement.",
		References:  []string{"https://cloud.google.com/docs/authentication/api-keys"},
	}, {
		ID: "gcp-oauth-client-secret", Title: "Google OAuth client secret", Severity: pipeline.SeverityHigh,
		Keywords: []string{"gocspx-"}, Pattern: credToken(`A-Za-z0-9_-`, `GOCSPX-[A-Za-z0-9_-]{28}`), MinEntropy: 3.5,
		Remediation: "Add a new secret to the OAuth client under APIs & Services > Credentials and disable the leaked one.",
		References:  []string{"https://developers.google.com/identity/protocols/oauth2"},
	}}
}

func azureRules() []Rule {
	storage := "https://learn.microsoft.com/azure/storage/common/storage-account-keys-manage"
	rotateStorage := "Rotate the storage account key under Security + networking > Access keys in the Azure portal."
	sbRemedy := "Regenerate the shared access policy key in the Azure portal and update its users."
	digits := make([]string, 10)
	for i := range digits {
		digits[i] = string(rune('0'+i)) + "q~"
	}
	return []Rule{{
		ID: "azure-storage-account-key", Title: "Azure storage account key", Severity: pipeline.SeverityCritical,
		Keywords: []string{"storagekey", "storage_key", "storage-key", "storageaccount", "storage_account", "storage-account",
			"storageaccess", "storage_access", "storage-access", "accountkey", "account_key", "account-key"},
		Pattern: `(?:^|[^;A-Za-z0-9])` + credAssign(`(?:azure[_.-]?)?storage[_.-]?(?:account[_.-]?)?(?:access[_.-]?)?key|account[_.-]?key`, azureKeyRE, cloudB64Tail),
		Verify:  azureKeyOK, CredentialGroup: azStorage,
		Remediation: rotateStorage, References: []string{storage},
	}, {
		ID: "azure-storage-connection-string", Title: "Azure storage connection string", Severity: pipeline.SeverityCritical,
		Keywords: []string{"accountkey="},
		Pattern:  `(?i:AccountName)=[A-Za-z0-9]{3,24};\s*(?i:AccountKey)=(?P<secret>` + azureKeyRE + `)(?:$|[^` + cloudB64Tail + `])`,
		Verify:   azureKeyOK, CredentialGroup: azStorage,
		Remediation: rotateStorage,
		References:  []string{"https://learn.microsoft.com/azure/storage/common/storage-configure-connection-string", storage},
	}, {
		ID: "azure-sas-token", Title: "Azure shared access signature", Severity: pipeline.SeverityHigh,
		Keywords: []string{"sig="},
		Pattern: `(?:^|[?&;=\s"'])sv=\d{4}-\d{2}-\d{2}[^\s"'<>]*?&sig=(?P<secret>(?:[A-Za-z0-9+/]|%2[BbFf]){43}(?:%3[Dd]|=))` +
			`(?:$|[^A-Za-z0-9%])`,
		Verify: func(s, _ string) bool {
			u, err := url.QueryUnescape(strings.ReplaceAll(s, "+", "%2B"))
			return err == nil && credB64Len(u) == 32
		},
		Remediation: "Rotate the account key or revoke the stored access policy that signed it; SAS tokens cannot be revoked one by one.",
		References:  []string{"https://learn.microsoft.com/rest/api/storageservices/create-service-sas"},
	}, {
		ID: "azure-ad-client-secret", Title: "Microsoft Entra ID (Azure AD) client secret", Severity: pipeline.SeverityCritical,
		Keywords: digits, Pattern: credToken(`A-Za-z0-9_~.-`, `[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}`),
		MinEntropy:  3.5,
		Remediation: "Delete the secret under App registrations > Certificates & secrets in the Entra admin center and add a new one.",
		References:  []string{"https://learn.microsoft.com/entra/identity-platform/how-to-add-credentials"},
	}, {
		ID: "azure-devops-pat", Title: "Azure DevOps personal access token", Severity: pipeline.SeverityCritical,
		Keywords: []string{"azdo"}, Pattern: credToken(`A-Za-z0-9`, `[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4}`), MinEntropy: 4,
		Remediation: "Revoke the token under User settings > Personal access tokens in Azure DevOps.",
		References:  []string{"https://learn.microsoft.com/azure/devops/organizations/accounts/use-personal-access-tokens-to-authenticate"},
	}, {
		ID: "azure-devops-pat-legacy", Title: "Azure DevOps personal access token (52-character format)", Severity: pipeline.SeverityCritical,
		Keywords:    []string{"azure_devops", "azure-devops", "azuredevops", "ado_pat", "ado-pat", "ado_token", "azdo"},
		Pattern:     credAssign(`azure[_.-]?devops[A-Za-z0-9_.-]{0,16}?(?:pat|token)|ado[_.-]?(?:pat|token)|azdo[_.-]?(?:pat|token)`, `[a-z2-7]{52}`, `A-Za-z0-9`),
		MinEntropy:  3.8,
		Remediation: "Revoke the token under User settings > Personal access tokens in Azure DevOps.",
		References:  []string{"https://learn.microsoft.com/azure/devops/organizations/accounts/use-personal-access-tokens-to-authenticate"},
	}, {
		ID: "azure-cosmosdb-key", Title: "Azure Cosmos DB account key", Severity: pipeline.SeverityCritical,
		Keywords: []string{"documents.azure.com", "cosmos"},
		Pattern: `(?:documents\.azure\.com(?::443)?/?;\s*(?i:AccountKey)=|(?i:cosmos(?:[_.-]?db)?[_.-]?(?:(?:primary|secondary|master|account|auth)[_.-]?)?key)` +
			credSep + `)(?P<secret>` + azureKeyRE + `)(?:$|[^` + cloudB64Tail + `])`,
		Verify:      azureKeyOK,
		Remediation: "Regenerate the key under Settings > Keys of the Cosmos DB account.",
		References:  []string{"https://learn.microsoft.com/azure/cosmos-db/secure-access-to-data"},
	}, {
		ID: "azure-service-bus-connection-string", Title: "Azure Service Bus or Event Hubs connection string", Severity: pipeline.SeverityHigh,
		Keywords: []string{"servicebus.windows.net"},
		Pattern: `Endpoint=sb://[A-Za-z0-9.-]+\.servicebus\.windows\.net/?;\s*SharedAccessKeyName=[^;"'\s]+;\s*SharedAccessKey=(?P<secret>` +
			azureSAKRE + `)(?:$|[^` + cloudB64Tail + `])`,
		Verify: func(s, _ string) bool { return credB64Len(s) == 32 }, Remediation: sbRemedy,
		References: []string{"https://learn.microsoft.com/azure/service-bus-messaging/service-bus-sas",
			"https://learn.microsoft.com/azure/event-hubs/authenticate-shared-access-signature"},
	}, {
		ID: "azure-iot-hub-connection-string", Title: "Azure IoT Hub connection string", Severity: pipeline.SeverityHigh,
		Keywords: []string{"azure-devices.net"},
		Pattern: `HostName=[A-Za-z0-9.-]+\.azure-devices\.net;\s*(?:SharedAccessKeyName|DeviceId)=[^;"'\s]+;\s*SharedAccessKey=(?P<secret>` +
			azureSAKRE + `)(?:$|[^` + cloudB64Tail + `])`,
		Verify: func(s, _ string) bool { return credB64Len(s) == 32 }, Remediation: sbRemedy,
		References: []string{"https://learn.microsoft.com/azure/iot-hub/authenticate-authorize-sas"},
	}, {
		ID: "azure-container-registry-password", Title: "Azure Container Registry password", Severity: pipeline.SeverityHigh,
		Keywords: []string{"azurecr.io", "acr_pass", "acr-pass", "acr.pass", "acrpass", "acr_admin", "acr-admin", "acradmin", "acr_pwd", "acr_token"},
		Pattern: `(?i:(?:azurecr\.io[^\n]*?\s)?(?:acr[_.-]?(?:admin[_.-]?)?(?:password|passwd|pwd|token[_.-]?password)` + credSep +
			`|(?:-p|--password)[ =]["'\x60]?))(?P<secret>[A-Za-z0-9+/=]{32,52})(?:$|[^A-Za-z0-9+/=])(?:[^\n]*?(?i:azurecr\.io))?`,
		MinEntropy: 4,
		Verify: func(_, m string) bool {
			m = strings.ToLower(m)
			return strings.Contains(m, "acr") || strings.Contains(m, "azurecr.io")
		},
		Remediation: "Regenerate the admin or token password under Access keys or Tokens of the registry in the Azure portal.",
		References:  []string{"https://learn.microsoft.com/azure/container-registry/container-registry-authentication"},
	}}
}

func providerRules() []Rule {
	do := "Revoke the token under API > Tokens in the DigitalOcean control panel."
	cf := "Roll or delete the token under My Profile > API Tokens in the Cloudflare dashboard."
	alibaba := "https://www.alibabacloud.com/help/en/ram/user-guide/create-an-accesskey-pair"
	aliRemedy := "Disable and delete the AccessKey pair in the RAM console and create a new one."
	return []Rule{{
		ID: "alibaba-access-key-id", Title: "Alibaba Cloud AccessKey ID", Severity: pipeline.SeverityHigh,
		Keywords: []string{"ltai"}, Pattern: credToken(`A-Za-z0-9`, `LTAI[A-Za-z0-9]{12,20}`), MinEntropy: 3.3,
		CredentialGroup: "alibaba", Remediation: aliRemedy, References: []string{alibaba},
	}, {
		ID: "alibaba-access-key-secret", Title: "Alibaba Cloud AccessKey secret", Severity: pipeline.SeverityCritical,
		Keywords:  []string{"alibaba", "aliyun", "alicloud", "accesskeysecret", "access_key_secret", "access-key-secret", "ltai"},
		Multiline: true,
		Pattern: `(?:(?i:ali(?:baba|yun|cloud)[A-Za-z0-9_.-]{0,20}?(?:secret|access[_.-]?key[_.-]?secret)|access[_.-]?key[_.-]?secret)` +
			credSep + `|` + pairedAfter(`LTAI[A-Za-z0-9]{12,20}`) + `)(?P<secret>[A-Za-z0-9]{30})(?:$|[^A-Za-z0-9])`,
		MinEntropy: 3.8, Verify: credMixedCase, CredentialGroup: "alibaba", Remediation: aliRemedy, References: []string{alibaba},
	}, {
		ID: "ibm-cloud-api-key", Title: "IBM Cloud API key", Severity: pipeline.SeverityHigh,
		Keywords: []string{"ibm_cloud", "ibm-cloud", "ibmcloud", "ibm_api", "ibm-api", "ic_api_key", "iam_apikey"},
		Pattern: `(?:(?i:ibm[_.-]?cloud[_.-]?api[_.-]?key|ibm[_.-]?api[_.-]?key|ic_api_key|iam_apikey)` + credSep +
			`|(?i:ibmcloud\s+login\b)[^\n]*?--apikey[ =]["']?)(?P<secret>[A-Za-z0-9_-]{44})(?:$|[^A-Za-z0-9_-])`,
		MinEntropy:  4,
		Remediation: "Delete the key under Manage > Access (IAM) > API keys in the IBM Cloud console.",
		References:  []string{"https://cloud.ibm.com/docs/account?topic=account-userapikey"},
	}, {
		ID: "digitalocean-pat", Title: "DigitalOcean personal access token", Severity: pipeline.SeverityCritical,
		Keywords: []string{"dop_v1_"}, Pattern: credToken(`A-Za-z0-9_`, `dop_v1_[a-f0-9]{64}`), MinEntropy: 3,
		Remediation: do, References: []string{"https://docs.digitalocean.com/reference/api/create-personal-access-token/"},
	}, {
		ID: "digitalocean-oauth-token", Title: "DigitalOcean OAuth access token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"doo_v1_"}, Pattern: credToken(`A-Za-z0-9_`, `doo_v1_[a-f0-9]{64}`), MinEntropy: 3,
		Remediation: "Revoke the application's access under Settings > Applications & API in DigitalOcean.",
		References:  []string{"https://docs.digitalocean.com/reference/api/oauth/"},
	}, {
		ID: "digitalocean-refresh-token", Title: "DigitalOcean OAuth refresh token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"dor_v1_"}, Pattern: credToken(`A-Za-z0-9_`, `dor_v1_[a-f0-9]{64}`), MinEntropy: 3,
		Remediation: "Revoke the application's access under Settings > Applications & API in DigitalOcean.",
		References:  []string{"https://docs.digitalocean.com/reference/api/oauth/"},
	}, {
		ID: "heroku-api-key", Title: "Heroku API key", Severity: pipeline.SeverityCritical,
		Keywords: []string{"hrku-"}, Pattern: credToken(`A-Za-z0-9_-`, `HRKU-AA[0-9A-Za-z_-]{58}`), MinEntropy: 3.5,
		Remediation: "Regenerate the API key under Account settings or revoke the authorization with heroku authorizations:revoke.",
		References:  []string{"https://devcenter.heroku.com/articles/authentication"},
	}, {
		ID: "heroku-api-key-legacy", Title: "Heroku API key (UUID format)", Severity: pipeline.SeverityCritical,
		Keywords: []string{"heroku"}, Multiline: true, MaxLen: 512,
		Pattern: `(?:(?i:heroku[A-Za-z0-9_.-]{0,16}?(?:api[_.-]?key|token|auth[_.-]?key))` + credSep +
			`|machine\s+(?:api|git)\.heroku\.com\s+login\s+\S+\s+password\s+)(?P<secret>` + cloudUUID + `)(?:$|[^` + cloudUUIDTail + `])`,
		MinEntropy:  3,
		Remediation: "Regenerate the API key under Account settings or revoke the authorization with heroku authorizations:revoke.",
		References:  []string{"https://devcenter.heroku.com/articles/platform-api-quickstart"},
	}, {
		ID: "cloudflare-api-token", Title: "Cloudflare API token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"cloudflare", "cf_api_token", "cf-api-token", "cfapitoken", "cf_token"},
		Pattern:  credAssign(`(?:cloudflare|cf)[_.-]?(?:api[_.-]?)?token`, `[A-Za-z0-9_-]{40}`, `A-Za-z0-9_-`), MinEntropy: 4,
		Remediation: cf, References: []string{"https://developers.cloudflare.com/fundamentals/api/get-started/create-token/"},
	}, {
		ID: "cloudflare-global-api-key", Title: "Cloudflare global API key", Severity: pipeline.SeverityCritical,
		Keywords:    []string{"cloudflare", "cf_api_key", "cf-api-key", "cfapikey", "cf_global", "x-auth-key"},
		Pattern:     credAssign(`(?:cloudflare|cf)[_.-]?(?:global[_.-]?)?(?:api[_.-]?)?key|x-auth-key`, `[a-f0-9]{37}`, `A-Za-z0-9`),
		MinEntropy:  3.2,
		Remediation: "Change the global API key under My Profile > API Tokens in the Cloudflare dashboard and prefer scoped tokens.",
		References:  []string{"https://developers.cloudflare.com/fundamentals/api/get-started/keys/"},
	}, {
		ID: "cloudflare-origin-ca-key", Title: "Cloudflare Origin CA key", Severity: pipeline.SeverityHigh,
		Keywords: []string{"v1.0-"}, Pattern: credToken(`A-Za-z0-9_.-`, `v1\.0-[a-f0-9]{24}-[a-f0-9]{146}`), MinEntropy: 3.2,
		Remediation: cf, References: []string{"https://developers.cloudflare.com/ssl/origin-configuration/origin-ca/"},
	}}
}

func hostingRules() []Rule {
	scw := "https://www.scaleway.com/en/docs/iam/concepts/#api-key"
	return []Rule{{
		ID: "oracle-cloud-preauthenticated-url", Title: "Oracle Cloud Object Storage pre-authenticated request", Severity: pipeline.SeverityHigh,
		Keywords: []string{"oraclecloud.com/p/", "customer-oci.com/p/"},
		Pattern: `https://(?:objectstorage\.[a-z0-9-]+\.oraclecloud\.com|[a-z0-9-]+\.objectstorage\.[a-z0-9-]+\.oci\.customer-oci\.com)` +
			`/p/(?P<secret>[A-Za-z0-9_+=:-]{40,})/n/`,
		MinEntropy:  4,
		Remediation: "Delete the pre-authenticated request under the bucket's Pre-Authenticated Requests in the OCI console.",
		References:  []string{"https://docs.oracle.com/en-us/iaas/Content/Object/Tasks/usingpreauthenticatedrequests.htm"},
	}, {
		ID: "linode-token", Title: "Linode (Akamai) personal access token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"linode"}, MinEntropy: 3.2,
		Pattern:     credAssign(`linode[A-Za-z0-9_.-]{0,16}?(?:token|api[_.-]?key|pat)`, `[a-f0-9]{64}`, `A-Za-z0-9`),
		Remediation: "Revoke the token under My Profile > API Tokens in Cloud Manager.",
		References:  []string{"https://techdocs.akamai.com/linode-api/reference/get-started#personal-access-tokens"},
	}, {
		ID: "vultr-api-key", Title: "Vultr API key", Severity: pipeline.SeverityHigh,
		Keywords: []string{"vultr"}, MinEntropy: 3.8,
		Pattern:     credAssign(`vultr[A-Za-z0-9_.-]{0,16}?(?:api[_.-]?key|token)`, `[A-Z0-9]{36}`, `A-Za-z0-9`),
		Remediation: "Regenerate the key under Account > API in the Vultr customer portal.",
		References:  []string{"https://www.vultr.com/api/#section/Authentication"},
	}, {
		ID: "scaleway-access-key", Title: "Scaleway API access key", Severity: pipeline.SeverityHigh,
		Keywords: []string{"scw"}, Pattern: credToken(`A-Za-z0-9`, `SCW[A-Z0-9]{17}`), MinEntropy: 3.3,
		CredentialGroup: "scaleway", Remediation: "Delete the API key under IAM > API keys in the Scaleway console.",
		References: []string{scw},
	}, {
		ID: "scaleway-secret-key", Title: "Scaleway API secret key", Severity: pipeline.SeverityCritical,
		Keywords: []string{"scw_secret", "scw-secret", "scwsecret", "scaleway"}, MinEntropy: 3,
		Pattern:         credAssign(`scw[_.-]?secret[_.-]?key|scaleway[A-Za-z0-9_.-]{0,16}?secret[_.-]?key`, cloudUUID, cloudUUIDTail),
		CredentialGroup: "scaleway", Remediation: "Delete the API key under IAM > API keys in the Scaleway console.",
		References: []string{scw},
	}, {
		ID: "hetzner-cloud-token", Title: "Hetzner Cloud API token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"hcloud", "hetzner"}, MinEntropy: 4,
		Pattern:     credAssign(`(?:hcloud|hetzner)[A-Za-z0-9_.-]{0,16}?(?:token|api[_.-]?key)`, `[A-Za-z0-9]{64}`, `A-Za-z0-9`),
		Remediation: "Delete the token under Security > API tokens of the project in the Hetzner Cloud console.",
		References:  []string{"https://docs.hetzner.cloud/#authentication"},
	}, {
		ID: "ovh-api-credential", Title: "OVHcloud API application secret or consumer key", Severity: pipeline.SeverityHigh,
		Keywords: []string{"ovh"}, MinEntropy: 3.8,
		Pattern: credAssign(`ovh[A-Za-z0-9_.-]{0,16}?(?:(?:application|app)[_.-]?secret|consumer[_.-]?key)`,
			`[A-Za-z0-9]{32}`, `A-Za-z0-9`),
		Remediation: "Revoke the application or consumer key through the OVHcloud API console (/me/api/application).",
		References:  []string{"https://help.ovhcloud.com/csm/en-gb-api-getting-started-ovhcloud-api"},
	}}
}

func hashicorpRules() []Rule {
	vault := "https://developer.hashicorp.com/vault/docs/concepts/tokens#token-prefixes"
	vaultRemedy := "Revoke the token with vault token revoke (or its accessor) and find how it leaked."
	return []Rule{{
		ID: "vault-service-token", Title: "HashiCorp Vault service token", Severity: pipeline.SeverityCritical,
		Keywords: []string{"hvs."}, MinEntropy: 3.5, Remediation: vaultRemedy, References: []string{vault},
		Pattern: credToken(`A-Za-z0-9_.-`, `hvs\.(?:[A-Za-z0-9_-]{90,120}|[A-Za-z0-9]{24})`),
	}, {
		ID: "vault-batch-token", Title: "HashiCorp Vault batch token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"hvb."}, MinEntropy: 3.5, Remediation: vaultRemedy, References: []string{vault},
		Pattern: credToken(`A-Za-z0-9_.-`, `hvb\.[A-Za-z0-9_-]{100,300}`),
	}, {
		ID: "vault-recovery-token", Title: "HashiCorp Vault recovery token", Severity: pipeline.SeverityCritical,
		Keywords: []string{"hvr."}, MinEntropy: 3.5, Remediation: vaultRemedy, References: []string{vault},
		Pattern: credToken(`A-Za-z0-9_.-`, `hvr\.[A-Za-z0-9_-]{24,300}`),
	}, {
		ID: "vault-legacy-token", Title: "HashiCorp Vault token (pre-1.10 format)", Severity: pipeline.SeverityCritical,
		Keywords:   []string{"vault_token", "vault-token", "vaulttoken", "vault login"},
		Pattern:    `(?:(?i:vault[_.-]?token)` + credSep + `|(?i:vault\s+login)\s+(?:-\S+\s+)*)(?P<secret>s\.[A-Za-z0-9]{24})(?:$|[^A-Za-z0-9_.-])`,
		MinEntropy: 3.5, Remediation: vaultRemedy, References: []string{vault},
	}, {
		ID: "terraform-cloud-token", Title: "HCP Terraform (Terraform Cloud) API token", Severity: pipeline.SeverityCritical,
		Keywords: []string{"atlasv1"}, MinEntropy: 4,
		Pattern:     credToken(`A-Za-z0-9_=.-`, `[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}`),
		Remediation: "Revoke the token under User settings > Tokens (or the team or organization token page) in HCP Terraform.",
		References:  []string{"https://developer.hashicorp.com/terraform/cloud-docs/users-teams-organizations/api-tokens"},
	}}
}

func deployRules() []Rule {
	doppler := "https://docs.doppler.com/docs/token-formats"
	dopplerRemedy := "Revoke the token in the Doppler dashboard and issue a new one."
	rules := []Rule{{
		ID: "pulumi-access-token", Title: "Pulumi access token", Severity: pipeline.SeverityCritical,
		Keywords: []string{"pul-"}, Pattern: credToken(`A-Za-z0-9_-`, `pul-[a-f0-9]{40}`), MinEntropy: 3,
		Remediation: "Delete the token under Personal access tokens in Pulumi Cloud.",
		References:  []string{"https://www.pulumi.com/docs/pulumi-cloud/access-management/access-tokens/"},
	}, {
		ID: "fastly-api-token", Title: "Fastly API token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"fastly"}, MinEntropy: 3.8,
		Pattern:     credAssign(`fastly[A-Za-z0-9_.-]{0,16}?(?:api[_.-]?)?(?:key|token)`, `[A-Za-z0-9_-]{32}`, `A-Za-z0-9_-`),
		Remediation: "Delete the token under Account > Personal API tokens in the Fastly control panel.",
		References:  []string{"https://docs.fastly.com/en/guides/using-api-tokens"},
	}, {
		ID: "netlify-pat", Title: "Netlify personal access token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"nfp_"}, Pattern: credToken(`A-Za-z0-9_`, `nfp_[A-Za-z0-9]{36,40}`), MinEntropy: 3.5,
		Remediation: "Revoke the token under User settings > Applications > Personal access tokens in Netlify.",
		References:  []string{"https://docs.netlify.com/api/get-started/#authentication"},
	}, {
		ID: "vercel-token", Title: "Vercel access token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"vercel"}, MinEntropy: 3.8,
		Pattern: `(?:(?i:vercel[A-Za-z0-9_.-]{0,16}?(?:token|api[_.-]?key))` + credSep + `|(?i:vercel\b)[^\n]*?--token[ =]["']?)` +
			`(?P<secret>[A-Za-z0-9]{24})(?:$|[^A-Za-z0-9_-])`,
		Remediation: "Delete the token under Account Settings > Tokens in the Vercel dashboard.",
		References:  []string{"https://vercel.com/docs/rest-api#creating-an-access-token"},
	}, {
		ID: "flyio-access-token", Title: "Fly.io access token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"fo1_"}, Pattern: credToken(`A-Za-z0-9_-`, `fo1_[A-Za-z0-9_-]{43}`), MinEntropy: 3.5,
		Remediation: "Revoke the token with fly tokens revoke or under Tokens in the Fly.io dashboard.",
		References:  []string{"https://fly.io/docs/security/tokens/"},
	}, {
		ID: "flyio-macaroon-token", Title: "Fly.io macaroon token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"fm2_", "fm1r_", "fm1a_"}, MinEntropy: 4,
		Pattern:     credToken(`A-Za-z0-9_+/=-`, `fm(?:2|1[ar])_[A-Za-z0-9+/]{64,}={0,2}`),
		Verify:      func(s, _ string) bool { return credB64Len(s[strings.IndexByte(s, '_')+1:]) >= 48 },
		Remediation: "Revoke the token with fly tokens revoke and issue a narrower one.",
		References:  []string{"https://fly.io/docs/security/tokens/"},
	}, {
		ID: "render-api-key", Title: "Render API key", Severity: pipeline.SeverityHigh,
		Keywords: []string{"rnd_"}, Pattern: credToken(`A-Za-z0-9_`, `rnd_[A-Za-z0-9]{32}`), MinEntropy: 3.5,
		Remediation: "Revoke the key under Account Settings > API Keys in the Render dashboard.",
		References:  []string{"https://render.com/docs/api#1-create-an-api-key"},
	}, {
		ID: "railway-token", Title: "Railway API token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"railway"}, MinEntropy: 3,
		Pattern:     credAssign(`railway[_.-]?(?:api[_.-]?|project[_.-]?)?token`, cloudUUID, cloudUUIDTail),
		Remediation: "Delete the token under Account Settings > Tokens (or the project's tokens) in Railway.",
		References:  []string{"https://docs.railway.com/guides/public-api#creating-a-token"},
	}}
	return append(rules, dopplerRules(doppler, dopplerRemedy)...)
}

func dataPlatformRules() []Rule {
	pscale := "Delete the token or password in the PlanetScale dashboard and create a new one."
	return []Rule{{
		ID: "supabase-pat", Title: "Supabase personal access token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"sbp_"}, Pattern: credToken(`A-Za-z0-9_`, `sbp_[a-f0-9]{40}`), MinEntropy: 3,
		Remediation: "Revoke the token under Account > Access Tokens in the Supabase dashboard.",
		References:  []string{"https://supabase.com/docs/reference/api/introduction"},
	}, {
		ID: "supabase-secret-key", Title: "Supabase secret API key", Severity: pipeline.SeverityCritical,
		Keywords: []string{"sb_secret_"}, Pattern: credToken(`A-Za-z0-9_-`, `sb_secret_[A-Za-z0-9_-]{24,64}`), MinEntropy: 3.5,
		Remediation: "Delete the secret key under Project Settings > API Keys and create a new one.",
		References:  []string{"https://supabase.com/docs/guides/api/api-keys"},
	}, {
		ID: "planetscale-service-token", Title: "PlanetScale service token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"pscale_tkn_"}, Pattern: credToken(`A-Za-z0-9_=.-`, `pscale_tkn_[A-Za-z0-9_=.-]{32,64}`), MinEntropy: 3.5,
		Remediation: pscale, References: []string{"https://planetscale.com/docs/concepts/service-tokens"},
	}, {
		ID: "planetscale-password", Title: "PlanetScale database password", Severity: pipeline.SeverityHigh,
		Keywords: []string{"pscale_pw_"}, Pattern: credToken(`A-Za-z0-9_=.-`, `pscale_pw_[A-Za-z0-9_=.-]{32,64}`), MinEntropy: 3.5,
		Remediation: pscale, References: []string{"https://planetscale.com/docs/concepts/connection-strings"},
	}, {
		ID: "planetscale-oauth-token", Title: "PlanetScale OAuth token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"pscale_oauth_"}, Pattern: credToken(`A-Za-z0-9_=.-`, `pscale_oauth_[A-Za-z0-9_=.-]{32,64}`), MinEntropy: 3.5,
		Remediation: pscale, References: []string{"https://planetscale.com/docs/concepts/oauth"},
	}, {
		ID: "databricks-token", Title: "Databricks personal access token", Severity: pipeline.SeverityCritical,
		Keywords: []string{"dapi"}, Pattern: credToken(`A-Za-z0-9_`, `dapi[a-f0-9]{32}(?:-[0-9])?`), MinEntropy: 3,
		Remediation: "Revoke the token under User Settings > Developer > Access tokens in the Databricks workspace.",
		References:  []string{"https://docs.databricks.com/en/dev-tools/auth/pat.html"},
	}, {
		ID: "snowflake-password", Title: "Snowflake password", Severity: pipeline.SeverityHigh,
		Keywords: []string{"snowflake"}, MinEntropy: 3,
		Pattern: `(?:(?i:snowflake)://[^:/@\s"']+:|(?i:snowflake[_.-]?(?:password|passwd|pwd))` + credSep + `)` +
			`(?P<secret>[^\s"'\x60@/$<>{}]{8,128})(?:@|$|[\s"'\x60,;])`,
		Verify:      func(_, m string) bool { return !strings.Contains(m, "://") || strings.HasSuffix(m, "@") },
		Remediation: "Change the user's password with ALTER USER ... SET PASSWORD and prefer key-pair authentication.",
		References:  []string{"https://docs.snowflake.com/en/developer-guide/python-connector/sqlalchemy#connection-parameters"},
	}, {
		ID: "confluent-api-secret", Title: "Confluent Cloud API secret", Severity: pipeline.SeverityHigh,
		Keywords: []string{"confluent", "plainloginmodule"}, MinEntropy: 4.5,
		Pattern: `(?:(?i:confluent[A-Za-z0-9_.-]{0,24}?secret)` + credSep +
			`|PlainLoginModule\s+required\s+username\s*=\s*\\?["']?[A-Z0-9]{16}\\?["']?\s+password\s*=\s*\\?["']?)` +
			`(?P<secret>[A-Za-z0-9+/]{64})(?:$|[^A-Za-z0-9+/=])`,
		Remediation: "Delete the API key under API keys in Confluent Cloud and create a new one.",
		References:  []string{"https://docs.confluent.io/cloud/current/access-management/authenticate/api-keys/api-keys.html"},
	}, {
		ID: "mongodb-atlas-service-account-secret", Title: "MongoDB Atlas service account secret", Severity: pipeline.SeverityHigh,
		Keywords: []string{"mdb_sa_sk_"}, Pattern: credToken(`A-Za-z0-9_-`, `mdb_sa_sk_[A-Za-z0-9_-]{40}`), MinEntropy: 3.5,
		Remediation: "Revoke the secret of the service account under Access Manager > Applications in Atlas.",
		References:  []string{"https://www.mongodb.com/docs/atlas/configure-api-access/"},
	}, {
		ID: "mongodb-atlas-api-private-key", Title: "MongoDB Atlas programmatic API private key", Severity: pipeline.SeverityHigh,
		Keywords: []string{"atlas_private", "atlas-private", "atlasprivate", "mcli_private"}, MinEntropy: 3,
		Pattern:     credAssign(`(?:mongodb[_.-]?)?atlas[_.-]?private[_.-]?(?:api[_.-]?)?key|mcli_private_api_key`, cloudUUID, cloudUUIDTail),
		Remediation: "Delete the API key under Access Manager > Applications > API Keys in Atlas.",
		References:  []string{"https://www.mongodb.com/docs/atlas/configure-api-access/"},
	}}
}

// dopplerRules covers Doppler's five documented token kinds, which share a
// layout: "dp." + kind + "." + 40 to 44 alphanumerics.
func dopplerRules(ref, remedy string) []Rule {
	kinds := []struct{ id, kind, title, extra string }{
		{"doppler-personal-token", "pt", "Doppler personal token", ""},
		{"doppler-service-token", "st", "Doppler service token", `(?:[a-z0-9_-]{2,35}\.)?`},
		{"doppler-service-account-token", "sa", "Doppler service account token", ""},
		{"doppler-cli-token", "ct", "Doppler CLI token", ""},
		{"doppler-scim-token", "scim", "Doppler SCIM token", ""},
	}
	out := make([]Rule, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, Rule{
			ID: k.id, Title: k.title, Severity: pipeline.SeverityHigh,
			Keywords: []string{"dp." + k.kind + "."}, MinEntropy: 3.5, Remediation: remedy, References: []string{ref},
			Pattern: credToken(`A-Za-z0-9_.-`, `dp\.`+k.kind+`\.`+k.extra+`[A-Za-z0-9]{40,44}`),
		})
	}
	return out
}

// pairedAfter returns a pattern prefix for a secret assigned to a name
// holding "secret" on one of the four lines after a key ID matching id, as
// in a provider block or a state file that lists both halves of a pair.
func pairedAfter(id string) string {
	return `\b` + id + `\b[^\n]*\n(?:[^\n]*\n){0,3}?[^\n]*?(?i:secret)` + credSep
}

// awsAccountIDOK rejects the zero, repeated-digit and counting IDs used
// in examples.
func awsAccountIDOK(s, _ string) bool {
	if strings.Count(s, s[:1]) == len(s) {
		return false
	}
	return !strings.Contains("0123456789012345678901", s) && !strings.Contains("9876543210987654321098", s)
}

// Keys that Microsoft publishes for local emulators: Azurite's
// devstoreaccount1 and the Cosmos DB emulator. They open nothing real.
const (
	azuriteKey        = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
	cosmosEmulatorKey = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
)

// azureKeyOK checks a 64-byte Azure account key that is not an emulator's.
func azureKeyOK(secret, _ string) bool {
	return credB64Len(secret) == 64 && secret != azuriteKey && secret != cosmosEmulatorKey
}
