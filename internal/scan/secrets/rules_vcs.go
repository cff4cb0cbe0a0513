package secrets

import (
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/secpipe/secpipe/internal/pipeline"
)

// vcsRules covers source hosting, package registries and CI/CD services.
func vcsRules() []Rule {
	return slices.Concat(githubRules(), gitlabRules(), registryRules(), ciRules())
}

func githubRules() []Rule {
	formats := "https://github.blog/engineering/platform-security/behind-githubs-new-authentication-token-formats/"
	docs := "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats"
	kinds := []struct {
		id, prefix, title, body, remedy string
		sev                             pipeline.Severity
	}{
		{"github-pat", "ghp_", "GitHub personal access token (classic)", `[A-Za-z0-9]{36}`,
			"Delete the token under Settings > Developer settings > Personal access tokens on GitHub.", pipeline.SeverityCritical},
		{"github-oauth-token", "gho_", "GitHub OAuth access token", `[A-Za-z0-9]{36}`,
			"Revoke the OAuth app's authorization under Settings > Applications on GitHub.", pipeline.SeverityCritical},
		{"github-user-to-server-token", "ghu_", "GitHub App user access token", `[A-Za-z0-9]{36}`,
			"Revoke the GitHub App's authorization under Settings > Applications on GitHub.", pipeline.SeverityCritical},
		{"github-installation-token", "ghs_", "GitHub App installation access token", `[A-Za-z0-9]{36}`,
			"Revoke it with DELETE /installation/token and rotate the GitHub App's private key if that leaked too.", pipeline.SeverityHigh},
		{"github-refresh-token", "ghr_", "GitHub App refresh token", `[A-Za-z0-9]{36}(?:[A-Za-z0-9]{40})?`,
			"Revoke the GitHub App's authorization under Settings > Applications on GitHub.", pipeline.SeverityHigh},
	}
	out := make([]Rule, 0, len(kinds)+1)
	for _, k := range kinds {
		out = append(out, Rule{
			ID: k.id, Title: k.title, Severity: k.sev, Keywords: []string{k.prefix},
			Pattern: credToken(`A-Za-z0-9_`, k.prefix+k.body), Verify: base62CRCOK,
			Remediation: k.remedy, References: []string{formats, docs},
		})
	}
	return append(out, Rule{
		ID: "github-fine-grained-pat", Title: "GitHub fine-grained personal access token", Severity: pipeline.SeverityCritical,
		Keywords: []string{"github_pat_"}, Pattern: credToken(`A-Za-z0-9_`, `github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}`),
		MinEntropy:  4,
		Remediation: "Delete the token under Settings > Developer settings > Fine-grained tokens on GitHub.",
		References:  []string{docs},
	})
}

func gitlabRules() []Rule {
	kinds := []struct {
		id, prefix, title, legacy string
		sev                       pipeline.Severity
	}{
		{"gitlab-pat", "glpat-", "GitLab personal, project or group access token", `[A-Za-z0-9_-]{20}`, pipeline.SeverityCritical},
		{"gitlab-deploy-token", "gldt-", "GitLab deploy token", `[A-Za-z0-9_-]{20}`, pipeline.SeverityHigh},
		{"gitlab-runner-token", "glrt-", "GitLab runner authentication token", `(?:t[0-9]_)?[A-Za-z0-9_-]{20}`, pipeline.SeverityHigh},
		{"gitlab-pipeline-trigger-token", "glptt-", "GitLab pipeline trigger token", `[a-f0-9]{40}|[A-Za-z0-9_-]{20}`, pipeline.SeverityMedium},
		{"gitlab-feed-token", "glft-", "GitLab feed token", `[A-Za-z0-9_-]{20}`, pipeline.SeverityLow},
		{"gitlab-incoming-mail-token", "glimt-", "GitLab incoming email token", `[A-Za-z0-9_-]{25}`, pipeline.SeverityMedium},
		{"gitlab-agent-token", "glagent-", "GitLab agent for Kubernetes token", `[A-Za-z0-9_-]{50}`, pipeline.SeverityHigh},
		{"gitlab-ci-job-token", "glcbt-", "GitLab CI/CD job token", `[0-9a-fA-F]{1,5}_[A-Za-z0-9_-]{20}`, pipeline.SeverityMedium},
		{"gitlab-scim-token", "glsoat-", "GitLab SCIM OAuth token", `[A-Za-z0-9_-]{20}`, pipeline.SeverityHigh},
		{"gitlab-oauth-app-secret", "gloas-", "GitLab OAuth application secret", `[a-f0-9]{64}`, pipeline.SeverityHigh},
		{"gitlab-feature-flags-token", "glffct-", "GitLab feature flags client token", `[A-Za-z0-9_-]{20}`, pipeline.SeverityLow},
	}
	prefixes := "https://docs.gitlab.com/security/tokens/#token-prefixes"
	out := make([]Rule, 0, len(kinds)+1)
	for _, k := range kinds {
		out = append(out, Rule{
			ID: k.id, Title: k.title, Severity: k.sev, Keywords: []string{k.prefix}, MinEntropy: 3.3,
			// Legacy tokens are a fixed-length body; routable tokens (GitLab
			// 17.x) are base64url, a dot, a base36 length and a base36 CRC-32.
			Pattern:     credToken(`A-Za-z0-9_+-`, regexp.QuoteMeta(k.prefix)+`(?:`+k.legacy+`|[A-Za-z0-9_+-]{27,300}\.[0-9a-z]{9})`),
			Verify:      gitlabRoutableOK,
			Remediation: "Revoke the token in GitLab (the token's settings page, or the Revoke API) and create a new one.",
			References:  []string{prefixes},
		})
	}
	return append(out, Rule{
		ID: "gitlab-runner-registration-token", Title: "GitLab runner registration token (deprecated)", Severity: pipeline.SeverityMedium,
		Keywords: []string{"gr1348941"}, Pattern: credToken(`A-Za-z0-9_-`, `GR1348941[A-Za-z0-9_-]{20}`), MinEntropy: 3.3,
		Remediation: "Reset the registration token in the project, group or instance CI/CD runner settings.",
		References:  []string{"https://docs.gitlab.com/security/tokens/#runner-registration-tokens-deprecated", prefixes},
	})
}

func registryRules() []Rule {
	npmrc := "https://docs.npmjs.com/cli/configuring-npm/npmrc"
	npmRemedy := "Revoke the token (npm token revoke, or the registry's UI) and log in again."
	return []Rule{{
		ID: "bitbucket-app-password", Title: "Bitbucket app password", Severity: pipeline.SeverityHigh,
		Keywords: []string{"atbb"}, Pattern: credToken(`A-Za-z0-9_=.-`, `ATBB[A-Za-z0-9_=.-]{32}`), MinEntropy: 3.5,
		Remediation: "Revoke the app password under Personal settings > App passwords in Bitbucket.",
		References:  []string{"https://support.atlassian.com/bitbucket-cloud/docs/app-passwords/"},
	}, {
		ID: "bitbucket-app-password-legacy", Title: "Bitbucket app password (unprefixed)", Severity: pipeline.SeverityHigh,
		Keywords: []string{"bitbucket"}, MinEntropy: 3.5,
		Pattern:     credAssign(`bitbucket[A-Za-z0-9_.-]{0,16}?(?:app[_.-]?)?(?:password|passwd|token)`, `[A-Za-z0-9]{20}`, `A-Za-z0-9`),
		Remediation: "Revoke the app password under Personal settings > App passwords in Bitbucket.",
		References:  []string{"https://support.atlassian.com/bitbucket-cloud/docs/app-passwords/"},
	}, {
		ID: "atlassian-api-token", Title: "Atlassian API token", Severity: pipeline.SeverityCritical,
		Keywords: []string{"atatt3"}, Pattern: credToken(`A-Za-z0-9_=-`, `ATATT3[A-Za-z0-9_=-]{186}`), MinEntropy: 4,
		Remediation: "Revoke the token at id.atlassian.com > Security > API tokens.",
		References:  []string{"https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/"},
	}, {
		ID: "npm-token", Title: "npm access token", Severity: pipeline.SeverityCritical,
		Keywords: []string{"npm_"}, Pattern: credToken(`A-Za-z0-9_`, `npm_[A-Za-z0-9]{36}`), Verify: base62CRCOK,
		Remediation: npmRemedy, References: []string{"https://docs.npmjs.com/about-access-tokens"},
	}, {
		ID: "npmrc-auth-token", Title: "Registry auth token in .npmrc or .yarnrc.yml", Severity: pipeline.SeverityHigh,
		Keywords: []string{"_authtoken", "npmauthtoken"}, MinEntropy: 3.5, Generic: true,
		Pattern:     `(?:(?:^|:)_authToken\s*=\s*|(?i:npmAuthToken)\s*:\s*)["']?(?P<secret>[A-Za-z0-9._~+/=-]{20,})(?:$|[^A-Za-z0-9._~+/=-])`,
		Remediation: npmRemedy, References: []string{npmrc},
	}, {
		ID: "npmrc-basic-auth", Title: "Registry basic auth (_auth) in .npmrc", Severity: pipeline.SeverityHigh,
		Keywords: []string{"_auth"}, Verify: basicAuthOK,
		Pattern:     `(?:^|:)_auth\s*=\s*["']?(?P<secret>[A-Za-z0-9+/]{8,}={0,2})(?:$|[^A-Za-z0-9+/=])`,
		Remediation: "Change the registry password and use a scoped token instead of _auth.",
		References:  []string{npmrc},
	}, {
		ID: "npmrc-password", Title: "Registry password (_password) in .npmrc", Severity: pipeline.SeverityHigh,
		Keywords: []string{"_password"}, MinEntropy: 2.5,
		Pattern: `(?:^|:)_password\s*=\s*["']?(?P<secret>[A-Za-z0-9+/]{8,}={0,2})(?:$|[^A-Za-z0-9+/=])`,
		Verify: func(s, _ string) bool {
			d, ok := credB64(s)
			return ok && len(d) >= 6 && printable(d)
		},
		Remediation: "Change the registry password and use a scoped token instead.",
		References:  []string{npmrc},
	}, {
		ID: "pypi-token", Title: "PyPI API token", Severity: pipeline.SeverityCritical,
		Keywords: []string{"pypi-ageichlwas5vcmc"}, Pattern: credToken(`A-Za-z0-9_-`, `pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}`),
		Verify:      macaroonOK,
		Remediation: "Remove the token under Account settings > API tokens on pypi.org.",
		References:  []string{"https://pypi.org/help/#apitoken"},
	}, {
		ID: "pypi-test-token", Title: "TestPyPI API token", Severity: pipeline.SeverityMedium,
		Keywords: []string{"pypi-agendgvzdc5wexbplm9yzw"}, Pattern: credToken(`A-Za-z0-9_-`, `pypi-AgENdGVzdC5weXBpLm9yZw[A-Za-z0-9_-]{50,}`),
		Verify:      macaroonOK,
		Remediation: "Remove the token under Account settings > API tokens on test.pypi.org.",
		References:  []string{"https://test.pypi.org/help/#apitoken"},
	}, {
		ID: "nuget-api-key", Title: "NuGet.org API key", Severity: pipeline.SeverityHigh,
		Keywords: []string{"oy2"}, Pattern: credToken(`A-Za-z0-9_`, `oy2[a-z0-9]{43}`), MinEntropy: 3.5,
		Remediation: "Delete or regenerate the key under API Keys on nuget.org.",
		References:  []string{"https://learn.microsoft.com/nuget/nuget-org/scoped-api-keys"},
	}, {
		ID: "rubygems-api-key", Title: "RubyGems.org API key", Severity: pipeline.SeverityCritical,
		Keywords: []string{"rubygems_"}, Pattern: credToken(`A-Za-z0-9_`, `rubygems_[a-f0-9]{48}`), MinEntropy: 3,
		Remediation: "Delete the key under Settings > API keys on rubygems.org.",
		References:  []string{"https://guides.rubygems.org/api-key-scopes/"},
	}, {
		ID: "dockerhub-token", Title: "Docker Hub personal or organization access token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"dckr_pat_", "dckr_oat_"}, Pattern: credToken(`A-Za-z0-9_-`, `dckr_(?:pat|oat)_[A-Za-z0-9_-]{27}`),
		MinEntropy:  3.5,
		Remediation: "Delete the token under Account settings > Personal access tokens (or the organization's tokens) on Docker Hub.",
		References:  []string{"https://docs.docker.com/security/for-developers/access-tokens/"},
	}, {
		ID: "docker-config-auth", Title: "Registry credentials in a Docker config.json", Severity: pipeline.SeverityHigh,
		Keywords: []string{`"auth"`}, Verify: basicAuthOK,
		Pattern:     `"auth"\s*:\s*"(?P<secret>[A-Za-z0-9+/]{8,}={0,2})"`,
		Remediation: "Change the registry password or token and use a credential helper instead of stored auths.",
		References:  []string{"https://docs.docker.com/reference/cli/docker/login/#credential-stores"},
	}, {
		ID: "jfrog-api-key", Title: "JFrog Artifactory API key", Severity: pipeline.SeverityHigh,
		Keywords: []string{"akcp"}, Pattern: credToken(`A-Za-z0-9_`, `AKCp[A-Za-z0-9]{69}`), MinEntropy: 4,
		Remediation: "Revoke the API key in the JFrog user profile and move to access tokens.",
		References:  []string{"https://jfrog.com/help/r/jfrog-platform-administration-documentation/api-key"},
	}, {
		ID: "jfrog-reference-token", Title: "JFrog Platform reference token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"cmvmdgtu"}, Pattern: credToken(`A-Za-z0-9_+/=`, `cmVmdGtu[A-Za-z0-9]{56}`),
		Verify: func(s, _ string) bool {
			d, ok := credB64(s)
			return ok && strings.HasPrefix(d, "reftkn:")
		},
		Remediation: "Revoke the token under Administration > User Management > Access Tokens in the JFrog Platform.",
		References:  []string{"https://jfrog.com/help/r/jfrog-platform-administration-documentation/access-tokens"},
	}}
}

func ciRules() []Rule {
	sonar := "https://docs.sonarsource.com/sonarqube-server/latest/user-guide/managing-tokens/"
	sonarRemedy := "Revoke the token under My Account > Security (or the project's tokens) in SonarQube or SonarCloud."
	circle := "https://circleci.com/docs/managing-api-tokens/"
	harness := "https://developer.harness.io/docs/platform/automation/api/add-and-manage-api-keys/"
	harnessRemedy := "Delete the token under the API key in Harness (My Profile or the service account) and create a new one."
	return []Rule{{
		ID: "circleci-personal-token", Title: "CircleCI personal API token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"ccipat_"}, Pattern: credToken(`A-Za-z0-9_`, `CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}`), MinEntropy: 3.5,
		Remediation: "Delete the token under User Settings > Personal API Tokens in CircleCI.", References: []string{circle},
	}, {
		ID: "circleci-project-token", Title: "CircleCI project API token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"cciprj_"}, Pattern: credToken(`A-Za-z0-9_`, `CCIPRJ_[A-Za-z0-9]{22}_[a-f0-9]{40}`), MinEntropy: 3.5,
		Remediation: "Delete the token under Project Settings > API Permissions in CircleCI.", References: []string{circle},
	}, {
		ID: "travis-ci-token", Title: "Travis CI API token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"travis"}, MinEntropy: 3.5,
		Pattern:     credAssign(`travis[A-Za-z0-9_.-]{0,16}?(?:api[_.-]?)?token`, `[A-Za-z0-9_-]{22}`, `A-Za-z0-9_-`),
		Remediation: "Regenerate the token under Settings > API authentication on travis-ci.com.",
		References:  []string{"https://developer.travis-ci.com/authentication"},
	}, {
		ID: "buildkite-api-token", Title: "Buildkite API access token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"bkua_"}, Pattern: credToken(`A-Za-z0-9_`, `bkua_[a-f0-9]{40}`), MinEntropy: 3,
		Remediation: "Revoke the token under Personal Settings > API Access Tokens in Buildkite.",
		References:  []string{"https://buildkite.com/docs/apis/managing-api-tokens"},
	}, {
		ID: "sonarqube-user-token", Title: "SonarQube user token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"squ_"}, Pattern: credToken(`A-Za-z0-9_`, `squ_[a-f0-9]{40}`), MinEntropy: 3,
		Remediation: sonarRemedy, References: []string{sonar},
	}, {
		ID: "sonarqube-project-token", Title: "SonarQube project analysis token", Severity: pipeline.SeverityMedium,
		Keywords: []string{"sqp_"}, Pattern: credToken(`A-Za-z0-9_`, `sqp_[a-f0-9]{40}`), MinEntropy: 3,
		Remediation: sonarRemedy, References: []string{sonar},
	}, {
		ID: "sonarqube-global-token", Title: "SonarQube global analysis token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"sqa_"}, Pattern: credToken(`A-Za-z0-9_`, `sqa_[a-f0-9]{40}`), MinEntropy: 3,
		Remediation: sonarRemedy, References: []string{sonar},
	}, {
		ID: "snyk-api-token", Title: "Snyk API token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"snyk"}, MinEntropy: 3,
		Pattern: `(?:(?i:snyk[A-Za-z0-9_.-]{0,16}?(?:api[_.-]?)?(?:token|key))` + credSep + `|(?i:snyk)\s+(?:auth|config\s+set\s+api=)\s*)` +
			`(?P<secret>` + cloudUUID + `)(?:$|[^` + cloudUUIDTail + `])`,
		Remediation: "Revoke and regenerate the token under Account settings in Snyk.",
		References:  []string{"https://docs.snyk.io/snyk-api/authentication-for-api"},
	}, {
		ID: "codecov-token", Title: "Codecov upload token", Severity: pipeline.SeverityMedium,
		Keywords: []string{"codecov"}, MinEntropy: 3,
		Pattern:     credAssign(`codecov[A-Za-z0-9_.-]{0,16}?token`, cloudUUID, cloudUUIDTail),
		Remediation: "Regenerate the upload token under the repository's configuration in Codecov.",
		References:  []string{"https://docs.codecov.com/docs/codecov-tokens"},
	}, {
		ID: "bitrise-token", Title: "Bitrise personal access token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"bitrise"}, MinEntropy: 4,
		Pattern:     credAssign(`bitrise[A-Za-z0-9_.-]{0,16}?(?:token|pat)`, `[A-Za-z0-9_-]{86}`, `A-Za-z0-9_-`),
		Remediation: "Delete the token under Account settings > Security > Personal access tokens in Bitrise.",
		References:  []string{"https://devcenter.bitrise.io/en/accounts/personal-access-tokens.html"},
	}, {
		ID: "octopus-deploy-api-key", Title: "Octopus Deploy API key", Severity: pipeline.SeverityHigh,
		Keywords: []string{"api-"}, Pattern: credToken(`A-Za-z0-9`, `API-[A-Z0-9]{26}`), MinEntropy: 3.5,
		Verify:      func(s, _ string) bool { return strings.ContainsAny(s[4:], "0123456789") },
		Remediation: "Revoke the key under Profile > My API Keys in Octopus Deploy.",
		References:  []string{"https://octopus.com/docs/octopus-rest-api/how-to-create-an-api-key"},
	}, {
		ID: "jenkins-api-token", Title: "Jenkins API token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"jenkins"}, MinEntropy: 3,
		Pattern:     credAssign(`jenkins[A-Za-z0-9_.-]{0,16}?(?:api[_.-]?)?token`, `11[a-f0-9]{32}`, `A-Za-z0-9`),
		Remediation: "Revoke the token under the user's Configure > API Token page in Jenkins.",
		References:  []string{"https://www.jenkins.io/doc/book/using/remote-access-api/"},
	}, {
		ID: "harness-pat", Title: "Harness personal access token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"pat."}, MinEntropy: 4, Remediation: harnessRemedy, References: []string{harness},
		Pattern: credToken(`A-Za-z0-9_.-`, `pat\.[A-Za-z0-9_-]{22}\.[a-f0-9]{24}\.[A-Za-z0-9]{20}`),
	}, {
		ID: "harness-sat", Title: "Harness service account token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"sat."}, MinEntropy: 4, Remediation: harnessRemedy, References: []string{harness},
		Pattern: credToken(`A-Za-z0-9_.-`, `sat\.[A-Za-z0-9_-]{22}\.[a-f0-9]{24}\.[A-Za-z0-9]{20}`),
	}, {
		ID: "drone-token", Title: "Drone CI personal token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"drone"}, MinEntropy: 3.8,
		Pattern:     credAssign(`drone[_.-]?(?:api[_.-]?)?token`, `[A-Za-z0-9]{32}`, `A-Za-z0-9`),
		Remediation: "Rotate the token from the account page of the Drone server (or drone user update --token).",
		References:  []string{"https://docs.drone.io/cli/setup/"},
	}, {
		ID: "gitea-token", Title: "Gitea or Forgejo access token", Severity: pipeline.SeverityHigh,
		Keywords: []string{"gitea", "forgejo"}, MinEntropy: 3,
		Pattern:     credAssign(`(?:gitea|forgejo)[A-Za-z0-9_.-]{0,16}?(?:access[_.-]?)?token`, `[a-f0-9]{40}`, `A-Za-z0-9`),
		Remediation: "Delete the token under Settings > Applications > Access tokens on the Gitea or Forgejo server.",
		References:  []string{"https://docs.gitea.com/development/api-usage", "https://forgejo.org/docs/latest/user/api-usage/"},
	}}
}

// base62Digits is the alphabet of GitHub's and npm's token checksums.
const base62Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// base62CRCOK checks the checksum of a GitHub or npm token: the last six
// characters are the CRC-32 (IEEE) of the random part between the prefix
// and the checksum, in base62, left-padded with zeros.
func base62CRCOK(secret, _ string) bool {
	body := secret[strings.IndexByte(secret, '_')+1:]
	if len(body) < 7 {
		return false
	}
	data, sum := body[:len(body)-6], body[len(body)-6:]
	var enc [6]byte
	n := crc32.ChecksumIEEE([]byte(data))
	for i := len(enc) - 1; i >= 0; i-- {
		enc[i] = base62Digits[n%62]
		n /= 62
	}
	return n == 0 && string(enc[:]) == sum
}

// gitlabRoutableOK accepts legacy GitLab tokens (no dot) as they are and
// checks routable ones: prefix, base64url payload, ".", the payload length
// in two base36 digits, then the CRC-32 of everything before it in seven
// base36 digits. The payload ends with its 16 random bytes and their count.
func gitlabRoutableOK(secret, _ string) bool {
	dot := strings.LastIndexByte(secret, '.')
	if dot < 0 {
		return true
	}
	if len(secret)-dot != 10 {
		return false
	}
	n, err := strconv.ParseUint(secret[dot+1:dot+3], 36, 16)
	if err != nil || int(n) > dot-len("glft-") {
		return false
	}
	crc := strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(secret[:dot+3]))), 36)
	if strings.Repeat("0", 7-len(crc))+crc != secret[dot+3:] {
		return false
	}
	payload, err := base64.RawURLEncoding.DecodeString(secret[dot-int(n) : dot])
	return err == nil && len(payload) > 17 && payload[len(payload)-1] == 16
}

// basicAuthOK checks a base64 "user:password" pair with both parts present.
func basicAuthOK(secret, _ string) bool {
	d, ok := credB64(secret)
	if !ok || !printable(d) {
		return false
	}
	user, pass, found := strings.Cut(d, ":")
	return found && user != "" && pass != ""
}

// printable reports whether s is non-empty printable ASCII.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return s != ""
}

// macaroonOK checks that a PyPI token ("pypi-" + base64url) holds a
// version 2 binary macaroon: header fields up to an end-of-section with an
// identifier among them, caveat sections, an empty section, and a 32-byte
// signature field (type 6) that ends the token.
func macaroonOK(secret, _ string) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(secret, "pypi-"))
	if err != nil || len(b) < 2 || b[0] != 2 {
		return false
	}
	b = b[1:]
	for section := 0; ; section++ {
		var fields []uint64
		for {
			typ, data, rest, ok := macaroonField(b)
			if !ok {
				return false
			}
			b = rest
			if typ == 0 {
				break
			}
			if typ == 6 {
				return section > 0 && len(fields) == 0 && len(data) == 32 && len(rest) == 0
			}
			fields = append(fields, typ)
		}
		if section == 0 && !slices.Contains(fields, 2) {
			return false
		}
	}
}

// macaroonField reads one field of a v2 binary macaroon: a varint type,
// then (unless the type is 0, end of section) a varint length and the data.
func macaroonField(b []byte) (typ uint64, data, rest []byte, ok bool) {
	typ, n := binary.Uvarint(b)
	if n <= 0 {
		return 0, nil, nil, false
	}
	if typ == 0 {
		return 0, nil, b[n:], true
	}
	size, m := binary.Uvarint(b[n:])
	if m <= 0 || size > uint64(len(b)-n-m) {
		return 0, nil, nil, false
	}
	start := n + m
	return typ, b[start : start+int(size)], b[start+int(size):], true
}

// credSep is what stands between a variable name and its value in source,
// configuration and shell: the rest of the name, an optional closing quote,
// then =, :, :=, => or a comma (as in setenv("NAME", "value")), then an
// optional opening quote.
const credSep = `[A-Za-z0-9_.-]{0,24}?["'\x60]?\s*(?:=>|:=|[:=,])\s*["'\x60]?`

// credAssign returns a pattern for a value assigned to a variable whose name
// matches names (case-insensitively). The value, captured as the secret,
// must be followed by the end of the line or a byte outside tail.
func credAssign(names, value, tail string) string {
	return `(?i:` + names + `)` + credSep + `(?P<secret>` + value + `)(?:$|[^` + tail + `])`
}

// credToken returns a pattern for a self-identifying token body that starts
// at a word boundary and is not followed by a byte of class, so that a
// longer random string does not match in part.
func credToken(class, body string) string {
	return `\b(?P<secret>` + body + `)(?:$|[^` + class + `])`
}

// credMixedCase reports whether s holds both upper- and lower-case letters,
// as random base64 of a key's length does.
func credMixedCase(s, _ string) bool {
	return strings.ContainsFunc(s, unicode.IsUpper) && strings.ContainsFunc(s, unicode.IsLower)
}

// credB64 decodes standard base64 with or without padding.
func credB64(s string) (string, bool) {
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
	return string(b), err == nil
}

// credB64Len returns the length of what s decodes to as standard base64,
// or -1 if it does not decode.
func credB64Len(s string) int {
	d, ok := credB64(s)
	if !ok {
		return -1
	}
	return len(d)
}
