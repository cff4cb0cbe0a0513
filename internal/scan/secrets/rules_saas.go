package secrets

import (
	"slices"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// saasEnd closes a token: the next character could not continue it.
const saasEnd = `(?:$|[^A-Za-z0-9_\-])`

// saasB64End closes a token whose alphabet includes "+", "/" and "=".
const saasB64End = `(?:$|[^A-Za-z0-9_+/=\-])`

// saasToken matches body as a whole token: the characters around it could
// not belong to a longer token.
func saasToken(body string) string {
	return `(?:^|[^A-Za-z0-9_\-])(?P<secret>` + body + `)` + saasEnd
}

// saasB64Token is saasToken for a body in the standard base64 alphabet, or
// one with an alphanumeric prefix that must not be taken from the middle of
// a base64 blob.
func saasB64Token(body string) string {
	return `(?:^|[^A-Za-z0-9_+/\-])(?P<secret>` + body + `)` + saasB64End
}

// saasLead matches body starting with its literal vendor prefix, with no
// check of the character before it. It is for prefixes that also occur in
// ordinary words ("pat", "SG."): the regular expression then starts with a
// literal and skips quickly to the next occurrence of the prefix.
func saasLead(body string) string {
	return `(?P<secret>` + body + `)` + saasEnd
}

// saasAssign matches value assigned to a setting whose name matches name
// (case-insensitively): NAME=value, name: "value", "name": "value",
// name := "value", name => 'value', --name value, Client("value").
func saasAssign(name, value string) string {
	return `(?i:` + name + `)[A-Za-z0-9_.\-]{0,24}["'\x60]?\s*(?:[:=]{1,2}>?|[(,]|\s)\s*["'\x60]?(?P<secret>` +
		value + `)` + saasB64End
}

// saasNear matches value assigned to a setting named key (case-insensitively)
// on the line that mentions name or on one of the four lines after it, as
// in a config block: Twilio.configure do |c| ... c.auth_token = "...", or a
// Terraform resource "datadog" { ... value = "..." }. Rules using it are
// Multiline. The pattern is anchored at the start of the window (the line
// that holds the keyword), so a window costs one pass over its first lines.
func saasNear(name, key, value string) string {
	return `^[^\n]*?(?i:` + name + `)[^\n]*?(?:\n[^\n]*?){0,4}?(?i:` + key + `)[A-Za-z0-9_.\-]{0,24}["'\x60]?\s*(?:[:=]{1,2}>?|[(,]|\s)\s*["'\x60]?(?P<secret>` +
		value + `)` + saasB64End
}

// saasNearLen bounds the window of a saasNear rule.
const saasNearLen = 512

// saasUUID is a lower-case UUID.
const saasUUID = `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`

// saasRules returns the rules for SaaS vendors: messaging, payments, email,
// AI, observability, identity and collaboration services.
func saasRules() []Rule {
	return slices.Concat(saasMessagingRules(), saasEmailRules(), saasPaymentRules(), saasAIRules(), saasOpsRules(), saasAppRules())
}

// saasMessagingRules covers chat and messaging services.
func saasMessagingRules() []Rule {
	slackTokens := []string{"https://api.slack.com/authentication/token-types"}
	const slackRevoke = "Revoke the token (auth.revoke, or reinstall the app from its OAuth & Permissions page) and issue a new one."
	return []Rule{
		{ID: "slack-bot-token", Title: "Slack bot token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"xoxb-"}, Pattern: saasToken(`xoxb-[0-9]{8,14}-[0-9]{8,14}-[A-Za-z0-9]{24,34}`),
			Verify: saasLast("-"), Remediation: slackRevoke, References: slackTokens},
		{ID: "slack-user-token", Title: "Slack user token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"xoxp-"}, Pattern: saasToken(`xoxp-[0-9]{8,14}-[0-9]{8,14}-[0-9]{8,14}-[0-9a-f]{32}`),
			MinEntropy: 3, Remediation: slackRevoke, References: slackTokens},
		{ID: "slack-app-token", Title: "Slack app-level token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"xapp-"}, Pattern: saasToken(`xapp-[0-9]-[A-Z0-9]{9,12}-[0-9]{10,16}-[0-9a-f]{64}`),
			MinEntropy: 3, Remediation: "Revoke the app-level token under Basic Information of the Slack app and generate a new one.",
			References: slackTokens},
		{ID: "slack-rotating-token", Title: "Slack rotating access or configuration token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"xoxe.xox"}, Pattern: saasToken(`xoxe\.xox[bp]-[0-9]-[A-Za-z0-9]{60,400}`),
			Verify: saasMixed, Remediation: slackRevoke,
			References: []string{"https://api.slack.com/authentication/rotation", "https://api.slack.com/authentication/config-tokens"}},
		{ID: "slack-refresh-token", Title: "Slack refresh token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"xoxe-", "xoxr-"},
			Pattern:  saasToken(`xoxe-[0-9]-[A-Za-z0-9]{60,400}|xoxr-(?:[0-9]+-){1,4}[A-Za-z0-9]{24,64}`),
			Verify:   saasMixed, Remediation: "Revoke the refresh token and the tokens issued from it (auth.revoke), then rotate the app's client secret.",
			References: []string{"https://api.slack.com/authentication/rotation"}},
		{ID: "slack-legacy-token", Title: "Slack legacy workspace token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"xoxa-", "xoxo-", "xoxs-"}, Pattern: saasToken(`xox[aos]-(?:[0-9]+-){2,4}[A-Za-z0-9]{24,64}`),
			Verify: saasMixed, Remediation: "Revoke the legacy token in the workspace's app management page and move to a bot token.",
			References: slackTokens},
		{ID: "slack-webhook-url", Title: "Slack incoming webhook URL", Severity: pipeline.SeverityMedium,
			Keywords: []string{"hooks.slack.com"},
			Pattern:  saasToken(`https://hooks\.slack\.com/services/T[A-Z0-9]{8,12}/B[A-Z0-9]{8,12}/[A-Za-z0-9]{24}`),
			Verify:   saasLast("/"), Remediation: "Remove the webhook from the app's Incoming Webhooks page and create a new one.",
			References: []string{"https://api.slack.com/messaging/webhooks"}},
		{ID: "slack-workflow-webhook-url", Title: "Slack workflow webhook URL", Severity: pipeline.SeverityMedium,
			Keywords: []string{"hooks.slack.com"},
			Pattern:  saasToken(`https://hooks\.slack\.com/(?:workflows|triggers)/T[A-Z0-9]{8,12}/(?:A[A-Z0-9]{8,12}/)?[0-9]{8,20}/[A-Za-z0-9]{24,32}`),
			Verify:   saasLast("/"), Remediation: "Delete the workflow's webhook trigger in Workflow Builder and create a new one.",
			References: []string{"https://slack.com/help/articles/360041352714-Build-a-workflow--Create-a-workflow-that-starts-outside-of-Slack"}},
		{ID: "slack-signing-secret", Title: "Slack app signing secret", Severity: pipeline.SeverityMedium,
			Keywords: []string{"signingsecret", "signing_secret", "signing-secret"},
			Pattern:  saasAssign(`signing[_.\-]?secret`, `[0-9a-f]{32}`), MinEntropy: 3,
			Remediation: "Regenerate the signing secret under Basic Information of the Slack app.",
			References:  []string{"https://api.slack.com/authentication/verifying-requests-from-slack"}},
		{ID: "discord-bot-token", Title: "Discord bot token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"discord"},
			Pattern: saasAssign(`discord[A-Za-z0-9_.\-]{0,20}?(?:token|key|secret)`,
				`[MNO][A-Za-z0-9_\-]{23,27}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38}`),
			Verify:      saasDiscordBotToken,
			Remediation: "Reset the token on the Bot page of the application in the Discord developer portal.",
			References:  []string{"https://discord.com/developers/docs/reference#authentication"}},
		{ID: "discord-webhook-url", Title: "Discord webhook URL", Severity: pipeline.SeverityMedium,
			Keywords: []string{"discord.com/api", "discordapp.com/api"},
			Pattern:  saasToken(`https://(?:(?:canary|ptb)\.)?discord(?:app)?\.com/api/(?:v[0-9]+/)?webhooks/[0-9]{17,20}/[A-Za-z0-9_\-]{60,68}`),
			Verify:   saasLast("/"), Remediation: "Delete the webhook in the channel's Integrations settings and create a new one.",
			References: []string{"https://discord.com/developers/docs/resources/webhook"}},
		{ID: "telegram-bot-token", Title: "Telegram bot token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"telegram", "bot_token", "bottoken"},
			Pattern:  `(?:^|[^0-9])(?P<secret>[0-9]{8,10}:[A-Za-z0-9_\-]{35})` + saasEnd, Verify: saasMixed,
			Remediation: "Revoke the token with /revoke in a chat with @BotFather and use the new one.",
			References:  []string{"https://core.telegram.org/bots/api#authorizing-your-bot"}},
	}
}

// saasEmailRules covers SMS and e-mail delivery services.
func saasEmailRules() []Rule {
	return []Rule{
		{ID: "twilio-api-key", Title: "Twilio API key SID", Severity: pipeline.SeverityMedium, CredentialGroup: "twilio",
			Keywords: []string{"twilio"}, Pattern: saasToken(`SK[0-9a-fA-F]{32}`),
			MinEntropy: 3, Remediation: "Delete the API key in the Twilio console (Account > API keys) and create a new one.",
			References: []string{"https://www.twilio.com/docs/iam/api-keys"}},
		{ID: "twilio-api-key-secret", Title: "Twilio API key secret", Severity: pipeline.SeverityHigh, CredentialGroup: "twilio",
			Keywords: []string{"twilio"}, Pattern: saasNear(`twilio`, `(?:api[_.\-]?)?secret`, `[A-Za-z0-9]{32}`), Multiline: true, MaxLen: saasNearLen,
			Verify:      saasMixed,
			Remediation: "Delete the API key in the Twilio console (Account > API keys) and create a new one.",
			References:  []string{"https://www.twilio.com/docs/iam/api-keys"}},
		{ID: "twilio-account-sid", Title: "Twilio account SID", Severity: pipeline.SeverityInfo, CredentialGroup: "twilio",
			Keywords: []string{"twilio"}, Pattern: saasToken(`AC[0-9a-f]{32}`),
			MinEntropy: 3, Remediation: "An account SID is an identifier; rotate the auth token or API key found with it.",
			References: []string{"https://www.twilio.com/docs/iam/api/account"}},
		{ID: "twilio-auth-token", Title: "Twilio auth token", Severity: pipeline.SeverityHigh, CredentialGroup: "twilio",
			Keywords: []string{"twilio"}, Pattern: saasNear(`twilio`, `auth[_.\-]?token`, `[0-9a-f]{32}`), Multiline: true, MaxLen: saasNearLen,
			MinEntropy:  3,
			Remediation: "Request a secondary auth token in the Twilio console, promote it, and so retire the exposed one.",
			References:  []string{"https://www.twilio.com/docs/iam/api/authtoken"}},
		{ID: "sendgrid-api-key", Title: "SendGrid API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"sg."}, Pattern: saasLead(`SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}`),
			Verify: saasMixed, Remediation: "Delete the key under Settings > API Keys in SendGrid and create a new one.",
			References: []string{"https://www.twilio.com/docs/sendgrid/ui/account-and-settings/api-keys"}},
		{ID: "mailgun-api-key", Title: "Mailgun API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"key-"}, Pattern: saasToken(`key-[0-9a-z]{32}`), Verify: saasMixed,
			Remediation: "Reset the API key in the Mailgun control panel (API Security) and update its users.",
			References:  []string{"https://documentation.mailgun.com/docs/mailgun/api-reference/authentication"}},
		{ID: "mailgun-private-api-key", Title: "Mailgun private API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"mailgun"}, Pattern: saasAssign(`mailgun`, `[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}`),
			Remediation: "Reset the API key in the Mailgun control panel (API Security) and update its users.",
			References:  []string{"https://documentation.mailgun.com/docs/mailgun/api-reference/authentication"}},
		{ID: "mailgun-webhook-signing-key", Title: "Mailgun webhook signing key", Severity: pipeline.SeverityMedium,
			Keywords:   []string{"mailgun"},
			Pattern:    saasAssign(`mailgun[A-Za-z0-9_.\-]{0,20}?(?:webhook|signing)`, `(?:key-)?[0-9a-f]{32}`),
			MinEntropy: 3, Remediation: "Rotate the HTTP webhook signing key in the Mailgun control panel.",
			References: []string{"https://documentation.mailgun.com/docs/mailgun/user-manual/tracking-messages/#securing-webhooks"}},
		{ID: "mailchimp-api-key", Title: "Mailchimp API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"-us"}, Pattern: saasToken(`[0-9a-f]{32}-us[0-9]{1,2}`), MinEntropy: 3,
			Remediation: "Revoke the key under Account > Extras > API keys in Mailchimp and create a new one.",
			References:  []string{"https://mailchimp.com/developer/marketing/guides/quick-start/"}},
		{ID: "postmark-api-token", Title: "Postmark server or account token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"postmark"}, Pattern: saasAssign(`postmark[A-Za-z0-9_.\-]{0,30}?(?:token|key|client)`, saasUUID),
			Remediation: "Regenerate the token on the server's (or account's) API Tokens page in Postmark.",
			References:  []string{"https://postmarkapp.com/developer/api/overview#authentication"}},
		{ID: "mandrill-api-key", Title: "Mandrill (Mailchimp Transactional) API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"mandrill"}, Pattern: saasAssign(`mandrill`, `[A-Za-z0-9_\-]{22}`),
			MinEntropy: 3.5, Verify: saasMixed,
			Remediation: "Delete the key under Settings > SMTP & API Info in Mandrill and create a new one.",
			References:  []string{"https://mailchimp.com/developer/transactional/guides/quick-start/"}},
		{ID: "brevo-api-key", Title: "Brevo (Sendinblue) API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"xkeysib-"}, Pattern: saasToken(`xkeysib-[0-9a-f]{64}-[A-Za-z0-9]{16}`),
			Verify: saasLast("-"), Remediation: "Delete the key under SMTP & API > API Keys in Brevo and create a new one.",
			References: []string{"https://developers.brevo.com/docs/getting-started"}},
		{ID: "brevo-smtp-key", Title: "Brevo (Sendinblue) SMTP key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"xsmtpsib-"}, Pattern: saasToken(`xsmtpsib-[0-9a-f]{64}-[A-Za-z0-9]{16}`),
			Verify: saasLast("-"), Remediation: "Delete the key under SMTP & API > SMTP in Brevo and create a new one.",
			References: []string{"https://developers.brevo.com/docs/getting-started"}},
	}
}

// saasPaymentRules covers payment, commerce and finance services.
func saasPaymentRules() []Rule {
	stripeKeys := []string{"https://docs.stripe.com/keys"}
	const stripeRoll = "Roll the key in the Stripe dashboard (Developers > API keys) and update its users."
	shopify := []string{"https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens"}
	lobWords := []string{"lob_", "lob-", "lob.", "lob("}
	lob := []string{"https://help.lob.com/account-management/api-keys"}
	const lobRotate = "Rotate the secret key on the API Keys tab of the Lob dashboard settings."
	return []Rule{
		{ID: "stripe-secret-key", Title: "Stripe live secret key", Severity: pipeline.SeverityCritical,
			Keywords: []string{"sk_live_"}, Pattern: saasToken(`sk_live_[A-Za-z0-9]{24,247}`),
			Verify: saasMixed, Remediation: stripeRoll, References: stripeKeys},
		{ID: "stripe-restricted-key", Title: "Stripe live restricted key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"rk_live_"}, Pattern: saasToken(`rk_live_[A-Za-z0-9]{24,247}`),
			Verify: saasMixed, Remediation: stripeRoll, References: stripeKeys},
		{ID: "stripe-test-key", Title: "Stripe test-mode secret or restricted key", Severity: pipeline.SeverityMedium,
			Keywords: []string{"sk_test_", "rk_test_"}, Pattern: saasToken(`[sr]k_test_[A-Za-z0-9]{24,247}`),
			Verify: saasMixed, Remediation: "Roll the test key in the Stripe dashboard; test data and settings are readable with it.",
			References: stripeKeys},
		{ID: "stripe-webhook-secret", Title: "Stripe webhook signing secret", Severity: pipeline.SeverityMedium,
			Keywords: []string{"whsec_"}, Pattern: saasToken(`whsec_[A-Za-z0-9]{32,88}`), Verify: saasMixed,
			Remediation: "Roll the endpoint's signing secret in the Stripe dashboard (Developers > Webhooks).",
			References:  []string{"https://docs.stripe.com/webhooks#verify-events"}},
		{ID: "shopify-access-token", Title: "Shopify Admin API access token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"shpat_"}, Pattern: saasToken(`shpat_[a-fA-F0-9]{32}`),
			MinEntropy: 3, Remediation: "Uninstall and reinstall the app (or rotate the token in the app's API credentials) in Shopify admin.",
			References: shopify},
		{ID: "shopify-custom-app-token", Title: "Shopify custom app access token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"shpca_"}, Pattern: saasToken(`shpca_[a-fA-F0-9]{32}`),
			MinEntropy: 3, Remediation: "Rotate the custom app's Admin API access token in Shopify admin (Apps > Develop apps).",
			References: shopify},
		{ID: "shopify-private-app-token", Title: "Shopify private app access token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"shppa_"}, Pattern: saasToken(`shppa_[a-fA-F0-9]{32}`),
			MinEntropy: 3, Remediation: "Delete the private app in Shopify admin and recreate it as a custom app.",
			References: shopify},
		{ID: "shopify-shared-secret", Title: "Shopify app shared secret", Severity: pipeline.SeverityHigh,
			Keywords: []string{"shpss_"}, Pattern: saasToken(`shpss_[a-fA-F0-9]{32}`),
			MinEntropy: 3, Remediation: "Rotate the app's client secret in the Shopify Partner dashboard.",
			References: shopify},
		{ID: "square-access-token", Title: "Square access token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"eaaa", "sq0atp-"}, Pattern: saasB64Token(`EAAA[A-Za-z0-9_\-]{60}|sq0atp-[A-Za-z0-9_\-]{22}`),
			Verify:      saasMixed,
			Remediation: "Replace the access token in the Square Developer Dashboard (Credentials) or revoke the OAuth token.",
			References:  []string{"https://developer.squareup.com/docs/build-basics/access-tokens"}},
		{ID: "square-oauth-secret", Title: "Square application secret", Severity: pipeline.SeverityHigh,
			Keywords: []string{"sq0csp-"}, Pattern: saasToken(`sq0csp-[A-Za-z0-9_\-]{43}`),
			Verify: saasMixed, Remediation: "Replace the application secret on the OAuth page of the Square Developer Dashboard.",
			References: []string{"https://developer.squareup.com/docs/oauth-api/overview"}},
		{ID: "braintree-access-token", Title: "PayPal Braintree production access token", Severity: pipeline.SeverityCritical,
			Keywords:   []string{"access_token$production$"},
			Pattern:    saasToken(`access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32}`),
			MinEntropy: 3, Remediation: "Revoke the access token in the PayPal developer dashboard and generate a new one.",
			References: []string{"https://developer.paypal.com/braintree/docs/guides/authorization/access-token"}},
		{ID: "adyen-api-key", Title: "Adyen API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"adyen"}, Pattern: saasAssign(`adyen[A-Za-z0-9_.\-]{0,20}?(?:key|token)`, `AQE[A-Za-z0-9+/=._\-]{60,300}`),
			Remediation: "Generate a new API key for the API credential in the Adyen Customer Area; the old one expires in 24 hours.",
			References:  []string{"https://docs.adyen.com/development-resources/api-credentials"}},
		{ID: "plaid-access-token", Title: "Plaid access token", Severity: pipeline.SeverityHigh,
			Keywords:   []string{"access-production-", "access-development-"},
			Pattern:    saasToken(`access-(?:production|development)-` + saasUUID),
			MinEntropy: 3, Remediation: "Call /item/access_token/invalidate (or remove the Item) in Plaid and store the new token securely.",
			References: []string{"https://plaid.com/docs/api/tokens/"}},
		{ID: "plaid-secret", Title: "Plaid API secret", Severity: pipeline.SeverityHigh,
			Keywords: []string{"plaid"}, Pattern: saasAssign(`plaid[A-Za-z0-9_.\-]{0,20}?secret`, `[0-9a-f]{30}`), MinEntropy: 3,
			Remediation: "Rotate the secret for the environment on the Keys page of the Plaid dashboard.",
			References:  []string{"https://plaid.com/docs/quickstart/glossary/#secret"}},
		{ID: "coinbase-api-secret", Title: "Coinbase API secret", Severity: pipeline.SeverityHigh,
			Keywords: []string{"coinbase"},
			Pattern:  saasAssign(`coinbase[A-Za-z0-9_.\-]{0,20}?secret`, `[A-Za-z0-9+/]{32,88}={0,2}`),
			Verify:   saasMixed, MinEntropy: 3.5,
			Remediation: "Delete the API key in the Coinbase (or Coinbase Developer Platform) settings and create a new one.",
			References:  []string{"https://docs.cdp.coinbase.com/get-started/docs/cdp-api-keys"}},
		{ID: "lob-api-key", Title: "Lob live secret API key", Severity: pipeline.SeverityHigh,
			Keywords: lobWords, Pattern: saasToken(`live_[0-9a-f]{35}`), Remediation: lobRotate, References: lob},
		{ID: "lob-test-api-key", Title: "Lob test secret API key", Severity: pipeline.SeverityMedium,
			Keywords: lobWords, Pattern: saasToken(`test_[0-9a-f]{35}`), Remediation: lobRotate, References: lob},
	}
}

// saasAIRules covers machine-learning and AI API providers.
func saasAIRules() []Rule {
	openai := []string{"https://platform.openai.com/docs/api-reference/authentication"}
	const openaiRevoke = "Revoke the key on the API keys page of the OpenAI platform and create a new one."
	anthropic := []string{"https://docs.anthropic.com/en/api/getting-started"}
	return []Rule{
		{ID: "openai-project-key", Title: "OpenAI project API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"sk-proj-"}, Pattern: saasToken(`sk-proj-[A-Za-z0-9_\-]{40,250}`), Verify: saasMixed,
			Remediation: openaiRevoke, References: openai},
		{ID: "openai-service-account-key", Title: "OpenAI service account key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"sk-svcacct-"}, Pattern: saasToken(`sk-svcacct-[A-Za-z0-9_\-]{40,250}`), Verify: saasMixed,
			Remediation: openaiRevoke, References: openai},
		{ID: "openai-admin-key", Title: "OpenAI admin API key", Severity: pipeline.SeverityCritical,
			Keywords: []string{"sk-admin-"}, Pattern: saasToken(`sk-admin-[A-Za-z0-9_\-]{40,250}`), Verify: saasMixed,
			Remediation: "Delete the admin key in the organization's Admin keys settings of the OpenAI platform.",
			References:  []string{"https://platform.openai.com/docs/api-reference/administration"}},
		{ID: "openai-api-key", Title: "OpenAI API key (legacy user key)", Severity: pipeline.SeverityHigh,
			Keywords: []string{"t3blbkfj"}, Pattern: saasToken(`sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}`),
			Remediation: openaiRevoke, References: openai},
		{ID: "anthropic-api-key", Title: "Anthropic API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"sk-ant-api"}, Pattern: saasToken(`sk-ant-api03-[A-Za-z0-9_\-]{93}AA`),
			Verify: saasMixed, Remediation: "Delete the key under Settings > API keys in the Anthropic console and create a new one.",
			References: anthropic},
		{ID: "anthropic-admin-key", Title: "Anthropic Admin API key", Severity: pipeline.SeverityCritical,
			Keywords: []string{"sk-ant-admin"}, Pattern: saasToken(`sk-ant-admin01-[A-Za-z0-9_\-]{93}AA`),
			Verify: saasMixed, Remediation: "Delete the admin key in the Anthropic console's organization settings.",
			References: []string{"https://docs.anthropic.com/en/api/administration-api"}},
		{ID: "huggingface-token", Title: "Hugging Face access token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"hf_"}, Pattern: saasToken(`hf_[A-Za-z0-9]{34}`), Verify: saasMixed, MinEntropy: 3.5,
			Remediation: "Invalidate the token under Settings > Access Tokens on huggingface.co and create a new one.",
			References:  []string{"https://huggingface.co/docs/hub/security-tokens"}},
		{ID: "replicate-api-token", Title: "Replicate API token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"r8_"}, Pattern: saasToken(`r8_[A-Za-z0-9]{37}`), Verify: saasMixed,
			Remediation: "Disable the token on the API tokens page of replicate.com and create a new one.",
			References:  []string{"https://replicate.com/docs/topics/security/api-tokens"}},
		{ID: "groq-api-key", Title: "Groq API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"gsk_"}, Pattern: saasToken(`gsk_[A-Za-z0-9]{52}`), Verify: saasMixed,
			Remediation: "Delete the key on the API Keys page of the Groq console and create a new one.",
			References:  []string{"https://console.groq.com/docs/quickstart"}},
		{ID: "perplexity-api-key", Title: "Perplexity API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"pplx-"}, Pattern: saasToken(`pplx-[A-Za-z0-9]{48}`), Verify: saasMixed,
			Remediation: "Delete the key in the API settings of Perplexity and generate a new one.",
			References:  []string{"https://docs.perplexity.ai/guides/getting-started"}},
		{ID: "cohere-api-key", Title: "Cohere API key", Severity: pipeline.SeverityHigh,
			Keywords:    []string{"cohere", "co_api_key"},
			Pattern:     saasAssign(`co_api_key|cohere[A-Za-z0-9_.\-]{0,20}?(?:key|token|client)`, `[A-Za-z0-9]{40}`),
			Verify:      saasAllClasses,
			Remediation: "Delete the key on the API Keys page of the Cohere dashboard and create a new one.",
			References:  []string{"https://docs.cohere.com/reference/about"}},
	}
}

// saasOpsRules covers observability, incident and identity services.
func saasOpsRules() []Rule {
	datadog := []string{"https://docs.datadoghq.com/account_management/api-app-keys/"}
	newrelic := []string{"https://docs.newrelic.com/docs/apis/intro-apis/new-relic-api-keys/"}
	const newrelicRotate = "Delete or rotate the key on the API keys page of New Relic and update its users."
	sentry := []string{"https://docs.sentry.io/account/auth-tokens/"}
	return []Rule{
		{ID: "datadog-api-key", Title: "Datadog API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"datadog", "dd_api_key", "dd-api-key"},
			Pattern:  saasNear(`datadog|\bdd[_\-]`, `api[_.\-]?key|key|value`, `[0-9a-f]{32}`), MinEntropy: 3,
			Multiline: true, MaxLen: saasNearLen,
			Remediation: "Revoke the key under Organization Settings > API Keys in Datadog and create a new one.",
			References:  datadog},
		{ID: "datadog-app-key", Title: "Datadog application key", Severity: pipeline.SeverityHigh,
			Keywords:   []string{"datadog", "dd_app_key", "dd-app-key", "dd_application_key", "dd-application-key"},
			Pattern:    saasNear(`datadog|\bdd[_\-]`, `app(?:lication)?[_.\-]?key|value`, `[0-9a-f]{40}`),
			MinEntropy: 3, Multiline: true, MaxLen: saasNearLen,
			Remediation: "Revoke the key under Organization Settings > Application Keys in Datadog and create a new one.",
			References:  datadog},
		{ID: "newrelic-user-api-key", Title: "New Relic user API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"nrak-"}, Pattern: saasToken(`NRAK-[A-Z0-9]{27}`), Verify: saasMixed,
			Remediation: newrelicRotate, References: newrelic},
		{ID: "newrelic-admin-api-key", Title: "New Relic admin API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"nraa-"}, Pattern: saasToken(`NRAA-[a-f0-9]{27}`), MinEntropy: 3,
			Remediation: newrelicRotate, References: newrelic},
		{ID: "newrelic-insert-key", Title: "New Relic Insights insert key", Severity: pipeline.SeverityMedium,
			Keywords: []string{"nrii-"}, Pattern: saasToken(`NRII-[A-Za-z0-9_\-]{32}`), Verify: saasMixed,
			Remediation: newrelicRotate, References: newrelic},
		{ID: "newrelic-browser-key", Title: "New Relic browser key", Severity: pipeline.SeverityLow,
			Keywords: []string{"nrjs-"}, Pattern: saasToken(`NRJS-[a-f0-9]{19}`), MinEntropy: 2.5,
			Remediation: "Browser keys ship in web pages and only send data; rotate it if data is being spoofed.",
			References:  newrelic},
		{ID: "newrelic-license-key", Title: "New Relic license (ingest) key", Severity: pipeline.SeverityMedium,
			Keywords: []string{"nral"}, Pattern: saasToken(`[a-f0-9]{36}NRAL`), MinEntropy: 3,
			Remediation: newrelicRotate, References: newrelic},
		{ID: "sentry-org-token", Title: "Sentry organization auth token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"sntrys_"}, Pattern: saasB64Token(`sntrys_eyJ[A-Za-z0-9+/=]{20,600}_[A-Za-z0-9+/]{43}`),
			Verify:      saasSentryOrgToken,
			Remediation: "Revoke the token under Settings > Organization Tokens in Sentry and create a new one.",
			References:  sentry},
		{ID: "sentry-user-token", Title: "Sentry user auth token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"sntryu_"}, Pattern: saasToken(`sntryu_[0-9a-f]{64}`), MinEntropy: 3,
			Remediation: "Revoke the token under User Settings > Personal Tokens in Sentry and create a new one.",
			References:  sentry},
		{ID: "sentry-dsn-secret", Title: "Sentry DSN secret key (legacy DSN)", Severity: pipeline.SeverityMedium,
			Keywords:   []string{"sentry"},
			Pattern:    `https?://[0-9a-f]{32}:(?P<secret>[0-9a-f]{32})@[A-Za-z0-9.\-]+(?::[0-9]+)?/[0-9]+` + saasEnd,
			MinEntropy: 3, Remediation: "Revoke the client key under Project Settings > Client Keys (DSN) in Sentry and use a DSN without a secret.",
			References: []string{"https://docs.sentry.io/concepts/key-terms/dsn-explainer/"}},
		{ID: "pagerduty-api-key", Title: "PagerDuty REST API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"pagerduty"},
			Pattern:  saasAssign(`pagerduty[A-Za-z0-9_.\-]{0,20}?(?:token|key)`, `[A-Za-z0-9_+\-]{20}`),
			Verify:   saasMixed, MinEntropy: 3.3,
			Remediation: "Delete the key under Integrations > API Access Keys in PagerDuty and create a new one.",
			References:  []string{"https://support.pagerduty.com/main/docs/api-access-keys"}},
		{ID: "pagerduty-integration-key", Title: "PagerDuty Events API integration (routing) key", Severity: pipeline.SeverityMedium,
			Keywords: []string{"pagerduty"},
			Pattern:  saasNear(`pagerduty`, `(?:routing|service|integration)[_.\-]?key`, `[0-9a-f]{32}`), MinEntropy: 3,
			Multiline: true, MaxLen: saasNearLen,
			Remediation: "Regenerate the integration key of the service's Events API integration in PagerDuty.",
			References:  []string{"https://developer.pagerduty.com/docs/events-api-v2-overview"}},
		{ID: "okta-api-token", Title: "Okta API token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"okta", "ssws"}, Pattern: saasToken(`00[A-Za-z0-9_\-]{40}`), Verify: saasMixed, MinEntropy: 3.5,
			Remediation: "Revoke the token under Security > API > Tokens in the Okta admin console.",
			References:  []string{"https://developer.okta.com/docs/guides/create-an-api-token/main/"}},
		{ID: "auth0-client-secret", Title: "Auth0 application client secret", Severity: pipeline.SeverityHigh,
			Keywords: []string{"auth0"},
			Pattern:  saasAssign(`auth0[A-Za-z0-9_.\-]{0,20}?secret`, `[A-Za-z0-9_\-]{64}`), Verify: saasMixed, MinEntropy: 4,
			Remediation: "Rotate the client secret in the application's settings of the Auth0 dashboard.",
			References:  []string{"https://auth0.com/docs/get-started/applications/rotate-client-secret"}},
		{ID: "grafana-cloud-token", Title: "Grafana Cloud access policy token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"glc_"}, Pattern: saasB64Token(`glc_[A-Za-z0-9+/]{32,600}={0,2}`), Verify: saasGrafanaCloudToken,
			Remediation: "Delete the token of the access policy in the Grafana Cloud portal and create a new one.",
			References:  []string{"https://grafana.com/docs/grafana-cloud/security-and-account-management/authentication-and-permissions/access-policies/"}},
		{ID: "grafana-service-account-token", Title: "Grafana service account token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"glsa_"}, Pattern: saasToken(`glsa_[A-Za-z0-9]{32}_[0-9a-f]{8}`), Verify: saasGrafanaSAToken,
			Remediation: "Delete the token of the service account under Administration > Service accounts in Grafana.",
			References:  []string{"https://grafana.com/docs/grafana/latest/administration/service-accounts/"}},
	}
}

// saasAppRules covers collaboration, productivity, social and developer
// platforms.
func saasAppRules() []Rule {
	contentful := []string{"https://www.contentful.com/developers/docs/references/authentication/"}
	return []Rule{
		{ID: "algolia-admin-key", Title: "Algolia admin or write API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"algolia"},
			Pattern:  saasAssign(`algolia[A-Za-z0-9_.\-]{0,20}?(?:admin|write)[A-Za-z0-9_.\-]{0,12}?key`, `[0-9a-f]{32}`), MinEntropy: 3,
			Remediation: "Regenerate the admin key (or delete the write key) on the API Keys page of the Algolia dashboard.",
			References:  []string{"https://www.algolia.com/doc/guides/security/api-keys/"}},
		{ID: "airtable-pat", Title: "Airtable personal access token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"pat"}, Pattern: saasLead(`pat[A-Za-z0-9]{14}\.[0-9a-f]{64}`), MinEntropy: 3.5,
			Remediation: "Delete the token on the Developer hub's Personal access tokens page in Airtable.",
			References:  []string{"https://airtable.com/developers/web/guides/personal-access-tokens"}},
		{ID: "asana-pat", Title: "Asana personal access token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"asana"}, Pattern: saasToken(`[12]/[0-9]{10,20}(?:/[0-9]{10,20})?:[0-9a-f]{32}`), MinEntropy: 3,
			Remediation: "Deauthorize the token in the Asana developer console (My apps > Personal access tokens).",
			References:  []string{"https://developers.asana.com/docs/personal-access-token"}},
		{ID: "linear-api-key", Title: "Linear API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"lin_api_"}, Pattern: saasToken(`lin_api_[A-Za-z0-9]{40}`), Verify: saasMixed,
			Remediation: "Revoke the key under Settings > Security & access > Personal API keys in Linear.",
			References:  []string{"https://linear.app/developers/graphql#personal-api-keys"}},
		{ID: "notion-token", Title: "Notion integration token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"secret_", "ntn_"}, Pattern: saasToken(`secret_[A-Za-z0-9]{43}|ntn_[A-Za-z0-9]{40,50}`),
			Verify:      saasAllClasses,
			Remediation: "Refresh the integration's secret on notion.so/my-integrations (or delete the integration).",
			References:  []string{"https://developers.notion.com/reference/authentication"}},
		{ID: "dropbox-short-lived-token", Title: "Dropbox short-lived access token", Severity: pipeline.SeverityMedium,
			Keywords: []string{"dropbox"}, Pattern: saasToken(`sl\.(?:u\.)?[A-Za-z0-9_=\-]{130,1000}`), Verify: saasMixed,
			Remediation: "Revoke the token (auth/token/revoke) or the app's access in Dropbox; it also expires within hours.",
			References:  []string{"https://developers.dropbox.com/oauth-guide"}},
		{ID: "contentful-pat", Title: "Contentful personal access token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"cfpat-"}, Pattern: saasToken(`CFPAT-[A-Za-z0-9_\-]{43}`), Verify: saasMixed,
			Remediation: "Revoke the token under Settings > CMA tokens in the Contentful web app.",
			References:  contentful},
		{ID: "contentful-delivery-token", Title: "Contentful delivery or preview API token", Severity: pipeline.SeverityMedium,
			Keywords:    []string{"contentful"},
			Pattern:     saasAssign(`contentful[A-Za-z0-9_.\-]{0,30}?(?:token|key)`, `[A-Za-z0-9_\-]{43}`),
			Verify:      saasAllClasses,
			Remediation: "Regenerate the token of the API key under Settings > API keys in Contentful.",
			References:  contentful},
		{ID: "mapbox-secret-token", Title: "Mapbox secret access token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"sk.eyj"}, Pattern: saasToken(`sk\.eyJ[A-Za-z0-9_\-]{10,300}\.[A-Za-z0-9_\-]{20,40}`),
			Verify:      saasMapboxToken,
			Remediation: "Delete the token on the Access tokens page of the Mapbox account.",
			References:  []string{"https://docs.mapbox.com/accounts/guides/tokens/"}},
		{ID: "figma-pat", Title: "Figma personal access token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"figd_"}, Pattern: saasToken(`figd_[A-Za-z0-9_\-]{38,44}`), Verify: saasMixed,
			Remediation: "Revoke the token under Settings > Security > Personal access tokens in Figma.",
			References:  []string{"https://www.figma.com/developers/api#access-tokens"}},
		{ID: "postman-api-key", Title: "Postman API key", Severity: pipeline.SeverityHigh,
			Keywords: []string{"pmak-"}, Pattern: saasToken(`PMAK-[0-9a-f]{24}-[0-9a-f]{34}`), MinEntropy: 3,
			Remediation: "Revoke the key under Settings > API keys in Postman and generate a new one.",
			References:  []string{"https://learning.postman.com/docs/developer/postman-api/authentication/"}},
		{ID: "twitter-bearer-token", Title: "X (Twitter) app bearer token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"twitter", "bearer"}, Pattern: saasToken(`A{20,24}[A-Za-z0-9%]{60,140}`),
			Verify: saasMixed, MinEntropy: 3.5,
			Remediation: "Regenerate the bearer token under Keys and tokens of the app in the X developer portal.",
			References:  []string{"https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/bearer-tokens"}},
		{ID: "twitch-token", Title: "Twitch OAuth token or client secret", Severity: pipeline.SeverityHigh,
			Keywords: []string{"twitch"},
			Pattern:  saasAssign(`twitch[A-Za-z0-9_.\-]{0,20}?(?:token|secret|oauth)`, `(?:oauth:)?[a-z0-9]{30}`),
			Verify:   saasMixed, MinEntropy: 3.5,
			Remediation: "Revoke the token (id.twitch.tv/oauth2/revoke) or create a new client secret in the Twitch developer console.",
			References:  []string{"https://dev.twitch.tv/docs/authentication/"}},
		{ID: "facebook-access-token", Title: "Facebook (Meta) access token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"eaa"}, Pattern: saasB64Token(`EAA[B-Za-z0-9][A-Za-z0-9]{90,400}`),
			Verify: saasAllClasses, MinEntropy: 4,
			Remediation: "Invalidate the token (log out the session or reset the app secret) in Meta for Developers.",
			References:  []string{"https://developers.facebook.com/docs/facebook-login/guides/access-tokens"}},
		{ID: "linkedin-client-secret", Title: "LinkedIn application client secret", Severity: pipeline.SeverityHigh,
			Keywords: []string{"linkedin"},
			Pattern: saasAssign(`linkedin[A-Za-z0-9_.\-]{0,20}?secret`,
				`WPL_AP[0-9]\.[A-Za-z0-9]{16}\.[A-Za-z0-9+/]{8,24}={0,2}|[A-Za-z0-9]{16}`),
			Verify: saasMixed, MinEntropy: 3,
			Remediation: "Generate a new client secret on the Auth tab of the app in the LinkedIn developer portal.",
			References:  []string{"https://learn.microsoft.com/en-us/linkedin/shared/authentication/client-credentials-flow"}},
		{ID: "zendesk-api-token", Title: "Zendesk API token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"zendesk"},
			Pattern:  saasAssign(`zendesk[A-Za-z0-9_.\-]{0,20}?(?:token|key)`, `[A-Za-z0-9]{40}`), Verify: saasAllClasses,
			Remediation: "Delete the token in Admin Center > Apps and integrations > Zendesk API.",
			References:  []string{"https://developer.zendesk.com/api-reference/introduction/security-and-auth/"}},
		{ID: "intercom-access-token", Title: "Intercom access token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"intercom"}, Pattern: saasB64Token(`dG9rO[A-Za-z0-9+/]{40,100}={0,2}`), Verify: saasIntercomToken,
			Remediation: "Regenerate the access token on the Authentication page of the app in the Intercom Developer Hub.",
			References:  []string{"https://developers.intercom.com/docs/build-an-integration/learn-more/authentication"}},
		{ID: "hubspot-private-app-token", Title: "HubSpot private app access token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"pat-na", "pat-eu", "pat-ap"}, Pattern: saasToken(`pat-(?:na|eu|ap)[0-9]-` + saasUUID),
			MinEntropy: 3, Remediation: "Rotate the private app's access token under Settings > Integrations > Private Apps in HubSpot.",
			References: []string{"https://developers.hubspot.com/docs/api/private-apps"}},
		{ID: "typeform-pat", Title: "Typeform personal access token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"tfp_"}, Pattern: saasToken(`tfp_[A-Za-z0-9]{40,60}(?:_[A-Za-z0-9]{8,20})?`),
			Verify:      saasAllClasses,
			Remediation: "Delete the token under Account > Personal tokens in Typeform and generate a new one.",
			References:  []string{"https://www.typeform.com/developers/get-started/personal-access-token/"}},
		{ID: "frameio-token", Title: "Frame.io developer token", Severity: pipeline.SeverityHigh,
			Keywords: []string{"fio-u-"}, Pattern: saasToken(`fio-u-[A-Za-z0-9_=\-]{64}`), Verify: saasMixed,
			Remediation: "Delete the token on the Tokens page of the Frame.io developer site.",
			References:  []string{"https://developer.frame.io/docs/getting-started/authentication"}},
	}
}
