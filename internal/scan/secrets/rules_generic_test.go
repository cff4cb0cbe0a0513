package secrets

import (
	"slices"
	"strings"
	"testing"
)

var genericCases = []ruleCase{
	{rule: "generic-password",
		tp: []string{
			// Plain human passwords that token-format scanners miss.
			`password: Tr0ub4dor&3`,
			`DB_PASS=winter2024!`,
			`  password: "Vq7#kLm2pXz9"`,
			`"password": "h8oOOL8dKLzd!",`,
			`export MYSQL_ROOT_PASSWORD='Rb7e!x92Kd'`,
			`spring.datasource.password=Zr4pQ81w-Xk`,
			`db_password = "Hx7qL2mV9k"`,
			`    Password: "Lq9vX2mK7p",`,
			`$config['db_pass'] = 'Kd82mXq7Lp';`,
			`define( 'DB_PASSWORD', 'u8jzPde0Ig#L' );`,
			`<password>Mx82kQ7vLp</password>`,
			`<entry key="db.password">Lq9vX2mK7p</entry>`,
			`user = User(name="ops", password="Pz7qL2xK9v")`,
			`{ adminPassword: 'Wq9zK2v7Rx', region: 'eu-west-1' }`,
			`  - DB_PASSWORD=Rt5vQ9x2Lm`,
			`password: str = "Zq7Kx2mV9p"`,
			`ssl_key_passphrase = "Ws8vNq2xK4"`,
			`"{\"username\":\"svc\",\"password\":\"Vx7q2LmK9p\"}"`,
			`props.setProperty("password", "Kq82vXm7Lp");`,
			`DB_PASSWORD = os.getenv("DB_PASSWORD", "Tq8vX2mLp9")`,
			"Break-glass login: user `root`, password `Maverick2023!`.",
			`"ses_smtp_password_v4": "Lq9vX2mK7p+Zt4",`,
			`db_password          = "H@rb0rautumn84"`,
			`FASTLANE_APPLE_APPLICATION_SPECIFIC_PASSWORD=cgmk-mese-aecv-uhvs`,
		},
		fp: []string{
			`password: changeme`,
			`password: ${DB_PASSWORD}`,
			`password: "{{ vault_db_password }}"`,
			`POSTGRES_PASSWORD=mysecretpassword`,
			`password = os.environ["DB_PASSWORD"]`,
			`password := os.Getenv("DB_PASSWORD")`,
			`password: string;`,
			`if password == "" {`,
			`Password: cfg.Password,`,
			`password: "Enter your password"`,
			`password_hash = "$2b$12$KIXQJ5Y8nD2x9vUqKzQ3UeW7c1bT8s0R4lA6mN2pO9qV3yX5zC7eG"`,
			`password: ENC[AES256_GCM,data:Tr0ub4dor,iv:abc,tag:def,type:str]`,
			`password: P@ssw0rd!`,
			`password: ********`,
			`password: <your-password>`,
			`password: !vault |`,
			`passwd: files systemd`,
			`--- PASS: TestParse (0.00s)`,
			`self.password = password_mgr`,
			`password_file: /run/secrets/db_password`,
			`password: 123456789`,
			`PasswordKey = "password"`,
			`placeholder: "Password"`,
			`login failed for user=alice reason="invalid password" ip=10.2.3.4`,
			"Pass `--region` or set the run/region property instead.",
			`KEYWORDS = ('pass', 'return', 'yield', 'raise')`,
			`"Action":"pass","Package":"example","Test":"TestX"`,
			`stored = getattr(user, "password", None)`,
			`PASSWORD=nodejs`,
		}},
	{rule: "generic-client-secret",
		tp: []string{
			`OAUTH_CLIENT_SECRET=Wvj7FAc9QeWJKY40uvSwMFLZ`,
			`"client_secret": "IBXuDL7DxtpYlSXpfKtHF4vUCsMehGAk",`,
			`consumerSecret: 'R0CsTy4Qwb8DwkNhFdnXsiVpzz63FfkC'`,
		},
		fp: []string{
			`client_secret: ${OAUTH_CLIENT_SECRET}`,
			`"client_secret": "YOUR_CLIENT_SECRET",`,
			`clientSecret: process.env.CLIENT_SECRET,`,
			`client_secret = "changeme-client-secret"`,
		}},
	{rule: "generic-secret-key",
		tp: []string{
			`SECRET_KEY = 'k8#vq2!m@x7z$lp4&wr9^tb6*yn3(hc5)jd1'`,
			`secret_key_base: 53a13043b026c48bbf33feff9243a8f506b40928b5b7a767c76fb008f86bebb2`,
			`JWT_SECRET="h8oOOL8dKLzdocJ2isAj7Qm"`,
			`RABBITMQ_ERLANG_COOKIE: KNGNIODCZXWKGRBWOJUS`,
		},
		fp: []string{
			`SECRET_KEY = 'django-insecure-change-me'`,
			`secret_key_base: <%= ENV["SECRET_KEY_BASE"] %>`,
			`jwt_secret: "supersecretjwtkey"`,
			`secretName: db-credentials`,
			`JWT_SECRET=abcdefghijklmnop`,
		}},
	{rule: "generic-webhook-secret",
		tp: []string{
			`GITHUB_WEBHOOK_SECRET=d6GncfBAepfJBd0Kx9`,
			`payments.hook_secret: "74254770f58904dba41ecccc3fc1626e"`,
		},
		fp: []string{
			`webhook_secret: ${WEBHOOK_SECRET}`,
			`webhookSecret: "your-webhook-secret-here"`,
			`hook_url: https://hooks.example.com/x`,
		}},
	{rule: "generic-api-key",
		tp: []string{
			`WEATHER_API_KEY=74254770f58904dba41ecccc3fc1626e`,
			`const apiKey = "IhKtJ0RlgLKOmxgJTeKdNnFR";`,
			`x-api-key: Wvj7FAc9QeWJKY40uvSwMFLZDe1f8rES`,
			`client.DefaultRequestHeaders.Add("X-Api-Key", "71eeb9fb155e5d3c966405b98099ab66");`,
			`export B2_APPLICATION_KEY=K005ORszccuxKSv2E+qXXCYHjjoMl6o`,
			`<string name="billing_secret_api_key">sk_lQnJDjTOzdTjcXLG8D65lco45ETE5VJN</string>`,
		},
		fp: []string{
			`api_key: "<YOUR_API_KEY>"`,
			`apiKey: process.env.API_KEY,`,
			`API_KEY=xxxxxxxxxxxxxxxxxxxxxxxx`,
			`api_key_id = "3f5e2a10-9c4b-4d2e-8f1a-7b6c5d4e3a21"`,
			`"apiKey": "550e8400-e29b-41d4-a716-446655440000"`,
		}},
	{rule: "generic-access-token",
		tp: []string{
			`ACCESS_TOKEN=Wvj7FAc9QeWJKY40uvSwMFLZDe1f8rESQedUStPK`,
			`  refresh_token: "R0CsTy4Qwb8DwkNhFdnXsiVpzz63FfkCzJr4i0B3"`,
			`bot_token = 'IBXuDL7DxtpYlSXpfKtHF4vUCsMehGAk'`,
			`      credentials: di6mflGyCmTRETjGcnXW97MM6OGgWJmltlTo9OJs`,
		},
		fp: []string{
			`access_token: ${{ secrets.ACCESS_TOKEN }}`,
			`"nextPageToken": "CAEQAhoKCgh0b2tlbjEyMw"`,
			`const fakeConnectionToken = "X-Fake-Connection-Token"`,
			`csrf_token = "Wvj7FAc9QeWJKY40uvSwMFLZ"`,
			`token: token.Pos(12),`,
			`mapboxToken: 'pk.eyJ1IjoiYWNtZSIsImEiOiJjazEyMyJ9.4xHfgmGaUfV6uHiTy0LXdC',`,
			"    token: AgB" + strings.Repeat("Xk29fjs8Lq4vM2pLx7Zt/+", 20),
			`fetch(url, {credentials: 'include'})`,
		}},
	{rule: "generic-encryption-key",
		tp: []string{
			`ENCRYPTION_KEY=IBXuDL7DxtpYlSXpfKtHF4vUCsMehGAk`,
			`APP_KEY=base64:Wvj7FAc9QeWJKY40uvSwMFLZDe1f8rESQedUStPK+k=`,
			`signing_key: "53a13043b026c48bbf33feff9243a8f506b40928b5b7a767c76fb008f86bebb2"`,
			`fernet_key = Eig8dsNIP-j6reJtIQZDek6bDbhLqwW0ppK-Z4EaTjQ=`,
		},
		fp: []string{
			`private_key: /etc/ssl/private/server.key`,
			`encryption_key: ${ENCRYPTION_KEY}`,
			`public_key: "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEx9Kd2mQ9vLx4Rt7Vq"`,
			`PrivateKey: priv,`,
		}},
	{rule: "generic-name-value-secret",
		tp: []string{
			"        - name: DB_PASSWORD\n          value: \"Wq9zK2v7Rx\"",
			`"environment": [{"name": "API_TOKEN", "value": "IBXuDL7DxtpYlSXpfKtHF4vUCsMehGAk"}]`,
			`<add key="SmtpPassword" value="Tq8vX2mLp9" />`,
			"variable \"db_password\" {\n  type    = string\n  default = \"Tq8vX2mLp9\"\n}",
		},
		fp: []string{
			"        - name: DB_PASSWORD\n          valueFrom:\n            secretKeyRef:\n              name: db",
			"        - name: DB_PASSWORD\n          value: \"changeme\"",
			"variable \"db_password\" {\n  type      = string\n  sensitive = true\n}",
			"        - name: LOG_LEVEL\n          value: \"debug\"",
			`{ "key": "password", "value": "{{password}}", "type": "string" }`,
		}},
	{rule: "generic-env-default-secret",
		tp: []string{
			`  cookieSecret: process.env.COOKIE_SECRET || 'Va0eHEXwq3CZYReVMKxBi8p0gWaesv5N',`,
			`      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-Hx7qL2mV9k}`,
			`const secret = process.env.SESSION_SECRET ?? "R0CsTy4Qwb8DwkNhFdnXsiVp";`,
			`spring.datasource.password=${DB_PASSWORD:Kx92mQv7Lp}`,
		},
		fp: []string{
			`DB_PASSWORD = os.getenv("DB_PASSWORD", "")`,
			`      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:-postgres}`,
			`const token = process.env.API_TOKEN || '';`,
			`secret := os.Getenv("APP_SECRET")`,
			`jwt_secret: ${JWT_SECRET:?JWT_SECRET must be set}`,
			`spring.datasource.password=${DB_PASSWORD:changeme}`,
		}},
	{rule: "cli-password-argument",
		tp: []string{
			`mysql -h db.prod -u root -pRb7e!x92Kd shop < dump.sql`,
			`    command: ["redis-server", "--requirepass", "n3!5saPyxFe@1*D?S3V"]`,
			`docker login -u ci -p Tq8vX2mLp9Rz registry.corp.io`,
			`keytool -importkeystore -srckeystore a.p12 -srcstorepass Hx7qL2mV9k -deststorepass Hx7qL2mV9k`,
			`openssl pkcs12 -export -in cert.pem -inkey key.pem -passout pass:Zq7Kx2mV9p -out cert.p12`,
			`sshpass -p 'Wq9zK2v7Rx' ssh deploy@10.0.0.5`,
			`vault login -method=userpass username=ops --password=Lq9vX2mK7p`,
		},
		fp: []string{
			`docker login -u ci --password-stdin registry.corp.io`,
			`mysql -u root -p`,
			`keytool -list -keystore cacerts -storepass changeit`,
			`Use the --password option to set it.`,
			`systemctl --no-ask-password --no-block restart app`,
			`mysql -u root -p"$MYSQL_ROOT_PASSWORD"`,
			`command: ["redis-server", "--requirepass", "$(REDIS_PASSWORD)"]`,
		}},
	{rule: "sql-user-password",
		tp: []string{
			`ALTER ROLE reporting WITH LOGIN PASSWORD 'dr@g0n.Orion82';`,
			`CREATE USER 'app'@'%' IDENTIFIED BY 'lduj.1CLq+w?yKglsu';`,
			`INSERT INTO admins (email, password) VALUES ('root@shop.io', crypt('s3cr3tSun.62', gen_salt('bf')));`,
			`CREATE USER batch IDENTIFIED BY Kq82vXm7Lp DEFAULT TABLESPACE users;`,
		},
		fp: []string{
			`CREATE USER app WITH PASSWORD :'app_password';`,
			`CREATE USER 'app'@'%' IDENTIFIED BY 'password';`,
			"in an Error being thrown, identified by `code:`.",
			`ALTER USER batch IDENTIFIED BY VALUES 'S:8F2A';`,
		}},
	{rule: "config-directive-password",
		tp: []string{
			`requirepass n3!5saPyxFe@1S3V`,
			`    user oncall insecure-password w@mNCv_KtPUARQWEPH1_yS1`,
			`    stats auth admin:bluebird@2019Orange`,
			`bindpw Rb7e!x92Kd`,
		},
		fp: []string{
			`requirepass foobared`,
			`# requirepass is commented out, set it with --requirepass`,
			`rootpw {SSHA}Xk29fjs8Lq4vM2pLx7ZtAbCdEf==`,
			`password reset links expire after one hour`,
		}},
	{rule: "wordpress-auth-key",
		tp: []string{
			"define( 'AUTH_KEY',         'j#?nor(@n`j&=hMIR1b|g(J+P=BK#Bdr2f&FxgLkAqpWmyu#-6sali`>FHrp<*[Y' );",
			`define('NONCE_SALT', 'BS74]=prOm0{irQx+(-#cm4rbAv>wNC1^zJe|%@NiX}ioZQoyYS6>ByedURR00');`,
		},
		fp: []string{
			`define( 'AUTH_KEY',         'put your unique phrase here' );`,
			`define( 'AUTH_KEY', getenv('WP_AUTH_KEY') );`,
			`define('AUTH_KEY', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');`,
		}},
}

func TestGenericRules(t *testing.T) {
	rules := compiledRules(t)
	checkCases(t, genericCases, func(b []byte) []Match { return naiveFind(rules, b) })
}

// FuzzContextRules feeds arbitrary text to the URL and generic rules, whose
// Verify functions parse what the patterns matched: they must not panic,
// and every match must point at its secret.
func FuzzContextRules(f *testing.F) {
	for _, c := range slices.Concat(urlCases, genericCases) {
		for _, s := range slices.Concat(c.tp, c.fp) {
			f.Add(s)
		}
	}
	rules := compileAll(f, slices.Concat(urlRules(), genericRules()))
	f.Fuzz(func(t *testing.T, text string) {
		for _, m := range naiveFind(rules, []byte(text)) {
			if got := text[m.Start:m.End]; got != m.Secret {
				t.Errorf("%s: text[%d:%d] = %q, want the secret %q", m.Rule.ID, m.Start, m.End, got, m.Secret)
			}
		}
	})
}
