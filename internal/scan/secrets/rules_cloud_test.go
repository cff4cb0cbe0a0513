package secrets

import "testing"

var cloudCases = []ruleCase{
	{
		rule: "aws-access-key-id",
		tp: []string{
			`AWS_ACCESS_KEY_ID=AKIAVQJXXVBOTHD2WTFL`,
			`  aws_access_key_id: "ASIAHBMUAPTT2ZN5X2PD"`,
			`{"AccessKeyId": "ASIAHBMUAPTT2ZN5X2PD", "Expiration": null}`,
			`creds := aws.Credentials{AccessKeyID: "ABIAQXRYONJ3DYBVZXG2"}`,
		},
		fp: []string{
			`AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE`,
			`AWS_ACCESS_KEY_ID=AKIA4VDHLDSUNAVBPPX`,
			`AWS_ACCESS_KEY_ID=AKIAX3CJEQQA5QIFPUW45`,
			`id = 'AKIAYDESOK72LLSDD418'`,
			`AWS_ACCESS_KEY_ID=AKIAAAAAAAAAAAAAAAAA`,
			`name = XAKIAVEYX2GSAXMKNUJ2E`,
		},
	},
	{
		rule: "aws-unique-id",
		tp: []string{
			`"RoleId": "AROAWU3RFC26TTP2KFTT",`,
			`UserId: AIDAOL3YXM35BPAGXIUW`,
			`"GroupId": "AGPAP53BDG4LBCRD2SMA"`,
		},
		fp: []string{
			`"RoleId": "AROA4SLLQYCKGAVJSGU",`,
			`UserId: AIDAAAAAAAAAAAAAAAAA`,
			`id := "AIDAX7XWQXNIZWKRA6UZE"`,
		},
	},
	{
		rule: "aws-secret-access-key",
		tp: []string{
			`aws_secret_access_key = fz3hlkV797tpnBPJAVA1BmzWimLVDP5GJtRd8oSJ`,
			`export AWS_SECRET_ACCESS_KEY="/lNz5r+J/8u/M7AsZ7nrsoTV75Y4sxVe9RWlBaTF"`,
			`{"SecretAccessKey": "6E9CPcgYBy9Lmr4PaWbP3gvY1pIXoQOrgRb5vPG5", "SessionToken": null}`,
			`  secretAccessKey: 'fz3hlkV797tpnBPJAVA1BmzWimLVDP5GJtRd8oSJ',`,
			`os.Setenv("AWS_SECRET_ACCESS_KEY", "/lNz5r+J/8u/M7AsZ7nrsoTV75Y4sxVe9RWlBaTF")`,
			`provider "aws" {
  region     = "eu-west-1"
  access_key = "AKIAVQJXXVBOTHD2WTFL"
  secret_key = "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"
}`,
			`    [runners.cache.s3]
      AccessKey = "AKIAVQJXXVBOTHD2WTFL"
      SecretKey = "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"`,
			`        "attributes": {
          "id": "ASIAHBMUAPTT2ZN5X2PD",
          "secret": "/lNz5r+J/8u/M7AsZ7nrsoTV75Y4sxVe9RWlBaTF",`,
		},
		fp: []string{
			`aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`,
			`aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}`,
			`aws_secret_access_key = "da39a3ee5e6b4b0d3255bfef95601890afd80709"`,
			`aws_secret_access_key = c6qSYhzYTFQy6k1qJAH4DxD3EoA1zCC/A4cGofF`,
			`aws_secret_access_key = QrGZ7iHyEpp2LNY2PG17+Dum2JnkOGORtaUrvPq09`,
			`token = "OIvEzwj9qYUCs19aVmP2GuaEsSuFfGuL8Opk+hjn"`,
			`access_key = "AKIAVQJXXVBOTHD2WTFL"
#
#
#
#
secret_key = "45p/ed75CnrQSkZ5B70co8w7rqhY2yP+PTZSjQlo"`,
			`access_key = "AKIAVQJXXVBOTHD2WTFL"
secret_key = var.aws_secret_key`,
			`access_key = "AKIAVQJXXVBOTHD2WTFL"
secret_key = "845d1f7c3a0579f09222a2bed27a584d21b54fa8"`,
		},
	},
	{
		rule: "aws-session-token",
		tp: []string{
			`aws_session_token = IQoJb3JpZ2luX2VjkHc9N40c/0cZIaEBp0P8nPetTS03N1EMsCs8M5E4GdCqWT7+VwGqCbftXCzbClpw6g220wlPpr00AgNYQUUJZZWOw4kykpiB4h14BVC7vnWldq/8M9Ip5iBBKlu6o55riCAUegmWA1T4QeTMVKkylJXzzER981vl0rGv2apTGUrhLIt+vawOX090Y5K6o04Uzbq3Q0XzAHxUNpIFNoZ9B3YVJ9xS+GA9oNP0rTaQWNRmwfX9OB+l4+mnBzO31rehKmcXrtZbkAamx7XGXvO2tV/jxLqZgTC2TRYK6GP4XovZ55m2ltxfZxSZGOYsjcom+y85hojfyxwI1KJftP3wq8ng/d9vmXY4GSOxt62KIKb3lowz7a/T4M8fBYOzD4DAO83oAF0u7ZBtgRqb`,
			`  "SessionToken": "FwoGZXIvYXdzE7+Dosk27Wzf++WzaD3JxRd6/NcOSt9XBxhAmplWfFFn4GcW3Wm0nhPI2KZIEh/Q9t5+JvQVoD9NQHPCc0pRzUSPzAO9lACnEWi45zA4hIXnff8aRWqecf4CbQk3WXZ3oqBqzFVa6A3fEJLdP1x9KByPaeZRfWAQuR5ZKEu58wywA51Ff8FX5rOuCC0XfR4dQXMzZBw95/RhzivgDuj+gy61HVr5zUFgc/PnnDTvjBbf0V2KoAzMHvifrlgdubZU3pT6sDA69drtuNgCtNZivKWZMeQ1y00XFa0LVWLRdlw55z5zjX1n2Wzd0pjykb6a+1jwmHcBd9xXsbI=",`,
			`export AWS_SESSION_TOKEN=FwoGZXIvYXdzE7+Dosk27Wzf++WzaD3JxRd6/NcOSt9XBxhAmplWfFFn4GcW3Wm0nhPI2KZIEh/Q9t5+JvQVoD9NQHPCc0pRzUSPzAO9lACnEWi45zA4hIXnff8aRWqecf4CbQk3WXZ3oqBqzFVa6A3fEJLdP1x9KByPaeZRfWAQuR5ZKEu58wywA51Ff8FX5rOuCC0XfR4dQXMzZBw95/RhzivgDuj+gy61HVr5zUFgc/PnnDTvjBbf0V2KoAzMHvifrlgdubZU3pT6sDA69drtuNgCtNZivKWZMeQ1y00XFa0LVWLRdlw55z5zjX1n2Wzd0pjykb6a+1jwmHcBd9xXsbI=`,
		},
		fp: []string{
			`aws_session_token = ${AWS_SESSION_TOKEN}`,
			`session_token = IQoJb3JpZ2luX2VjkHc9N40c/0cZIaEBp0P8nPetTS03N1EMsCs8M5E4GdCqWT7+VwGqCbftXCzbClpw6g220wlPpr00AgNYQUUJZZWOw4kykpiB4h14BVC7vnWldq/8M9Ip5iBBKlu6o55riCAUegmWA1T4QeTMVKkylJXzzER981vl0rGv2apTGUrhLIt+vawOX090Y5K6o04Uzbq3Q0XzAHxUNpIFNoZ9B3YVJ9xS+GA9oNP0rTaQWNRmwfX9OB+l4+mnBzO31rehKmcXrtZbkAamx7XGXvO2tV/jxLqZgTC2TRYK6GP4XovZ55m2ltxfZxSZGOYsjcom+y85hojfyxwI1KJftP3wq8ng/d9vmXY4GSOxt62KIKb3lowz7a/T4M8fBYOzD4DAO83oAF0u7ZBtgRqb`,
			`aws_session_token = 1mMN7QoIQH1YUDml66yBGQAd7xbpGuBQR2rBWxoQ43iEDBTwE27wh77HbLYQZ/9pnLDSwHxk64vTghza2pqlud/w1N`,
			`aws_session_token = "eyJhbGciOiJIUzI1NiJ9.w4KgEj_KY88bv8_LUTElkwmfMKKbtdIJYSFsA5jHL7lIecb7LAVFwxtktIvq47QSXg72vNy6Wgd4TYLC_y3OloR0gLSp5s-kxV5zZJHE3P1G1AkFUX6Fx1l3.DD4U2DdgQT1nVvEiwMqMCvfZBJCOp95Wl0Rka53ZMG7"`,
		},
	},
	{
		rule: "aws-account-id",
		tp: []string{
			`AWS_ACCOUNT_ID=493827160596`,
			`aws_account_id: "730335617328"`,
			`allowed_account_ids = ["493827160596"]`,
		},
		fp: []string{
			`AWS_ACCOUNT_ID=123456789012`,
			`aws_account_id: 000000000000`,
			`aws_account_id = 49382716055`,
			`account_id = 730335617328`,
			`AWS_ACCOUNT_ID=4938271605967`,
		},
	},
	{
		rule: "aws-mws-auth-token",
		tp: []string{
			`MWS_AUTH_TOKEN=amzn.mws.452415df-60f2-40d9-ad7e-fecc22a4e5d4`,
			`"mwsAuthToken": "amzn.mws.697ea93f-f69b-4257-a13a-ee99add6cd71"`,
		},
		fp: []string{
			`MWS_AUTH_TOKEN=amzn.mws.b8890a62-99c0-4927-aae5-78485090fb2`,
			`MWS_AUTH_TOKEN=amzn.mws.zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz`,
			`client = amzn.sp.4c2a992a-5bb3-4457-a692-435359de37f1`,
		},
	},
	{
		rule: "aws-bedrock-api-key",
		tp: []string{
			`AWS_BEARER_TOKEN_BEDROCK=ABSKQmVkcm9ja0FQSUtleS1kMnRsLWF0LTQ5MzgyNzE2MDU5NjpmZDJkMFdxczgyeXRZUitOL0RSWWc0Q2JpckxuTUJIKy8zdWhER2JkalBQSw==`,
			`{"bedrockApiKey": "ABSKQmVkcm9ja0FQSUtleS1wcHB6LWF0LTczMDMzNTYxNzMyODpDSWNxcDAwdTg3SlVqdWJlT2F4aE1ncnoyeFN0czVtSVZQZjlLOUpaODlJbA=="}`,
		},
		fp: []string{
			`AWS_BEARER_TOKEN_BEDROCK=ABSKQmVkcm9ja0FQSUtleS1hYmNkLWF0LTQ5MzgyNzE2MDU5Ni1uby1zZXBhcmF0b3ItaGVyZS1hdC1hbGw=`,
			`AWS_BEARER_TOKEN_BEDROCK=ABSKQmVkcm9ja0FQSUtleS0kYk0CA9EMX`,
			`AWS_BEARER_TOKEN_BEDROCK=ABSKU29tZXRoaW5nRWxzZS3pXVGvxJdrSBUxHbxZLlQC/AVgcrN5SsNrgLvSG+PvK3BcHYLgRLLaaeYT7kppUqZ9jyKf77nMPidfvto=`,
		},
	},
	{
		rule: "aws-bedrock-short-term-key",
		tp: []string{
			`AWS_BEARER_TOKEN_BEDROCK=bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tLz9BY3Rpb249Q2FsbFdpdGhCZWFyZXJUb2tlbiZYLUFtei1BbGdvcml0aG09QVdTNC1ITUFDLVNIQTI1NiZYLUFtei1DcmVkZW50aWFsPUFTSUFTU0lER0NRT01BSjRRNTdDJTJGMjAyNTAxMDElMkZ1cy1lYXN0LTElMkZiZWRyb2NrJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyNTAxMDFUMDAwMDAwWiZYLUFtei1FeHBpcmVzPTQzMjAwJlgtQW16LVNlY3VyaXR5LVRva2VuPVd2bTlDbUVnVXBSMEJXZlFwUXlJakg4QlBrS1hQM2lhQ2ZYMXJNSFlsQmxVbW1hR1NuVDdMcldzYk1ZUzV5TjFvZXRiY0RQa3hTUGlVWGFQNEZ4R3JrY0RmMlM4SjFlSkFEZUFrTjczNkVKQU83MlgyYjVxUmRaMmNlOHpJYzJuNk1Qc0E3YUZNbEZ3WHhEY3lGd0haNjl3eVpJb09aMzlpSDJjZHQzMUhsZ1J2M3dVZER0d3VJMmRSSlNNa2VtRmZWd1pzMWFnJlgtQW16LVNpZ25hdHVyZT01YWIzYjQ2ZjlkZGE5MTRjMDAxZGFiNTUyY2YzYzRiMmZkZDNhMWVkOGNmMGNjZjVlZTMzZWI2ZGZkNjc3MGQ0JlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCZWZXJzaW9uPTE=`,
			`headers = {"Authorization": "Bearer bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tLz9BY3Rpb249Q2FsbFdpdGhCZWFyZXJUb2tlbiZYLUFtei1BbGdvcml0aG09QVdTNC1ITUFDLVNIQTI1NiZYLUFtei1DcmVkZW50aWFsPUFTSUFHNUJWRTdWU0RPUU80NzdYJTJGMjAyNTAxMDElMkZ1cy1lYXN0LTElMkZiZWRyb2NrJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyNTAxMDFUMDAwMDAwWiZYLUFtei1FeHBpcmVzPTQzMjAwJlgtQW16LVNlY3VyaXR5LVRva2VuPTZ0MkUxaURFM0M2WUt4MnRCa01XajJWNGtZUUk5RWY4TGVVRUZTYjNKZnlnNU1FM1YwQWlFNG80cFRCWlR4NWIzQ1AxSWR3a0hPSFdhenlqWHY3UE03bzRuMGdYb3ZGWlU0VDNqRFBYOUpaTGduamhhZ3hqaEVEbzZyUENnamgydFFaYWNtbkVFVE11T3JodWN1dlA5VHFmRjdLb0ZCNURTeGRQaFJuYXlpQXh6dWNFMzhFcDR2U0ZiNVBNSDM4RzkwdDByN2hJJlgtQW16LVNpZ25hdHVyZT1kMzA2ZjVlZjExNzk4ZDQwOWViNzU5NjJmZDMwMWE4NGNjODRlYWI4NDVlOWM5ZDgzNTg5YTgwNzBmZWM1OTRkJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCZWZXJzaW9uPTE="}`,
		},
		fp: []string{
			`AWS_BEARER_TOKEN_BEDROCK=bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29tLz9BY3Rpb249Q2FsbFdpdGhCZWFyZXJUb2tlbiZYLUFtei1BbGdvcml0aG09QVdTNC1ITUFDLVNIQTI1NiZYLUFtei1DcmVkZW50aWFsPUFTSUFDT1ZPUkdWQk1WVllGNlFCJTJGMjAyNTAxMDElMkZ1cy1lYXN0LTElMkZiZWRyb2NrJTJGYXdzNF9yZXF1ZXN0JlgtQW16LURhdGU9MjAyNTAxMDFUMDAwMDAwWiZYLUFtei1FeHBpcmVzPTQzMjAwJlgtQW16LVNlY3VyaXR5LVRva2VuPXRmOVNQQUNYTEczdm1jc3FXVmd1dXhrNnVtOEtaTHlTVjFaaG05dGJjTjhJQ3J1bXFMSzZINTRpbHZXcFA3TERucXRDSXo0UDF5NnBxTGE4MUFYME9XS3owR0UzQXowWWdCQU5TZVFhaFlLRUxrZDcwM0l1WW9SMTlqbnNFN3JhU2hQRVZGaG5MeTBaRUlNaHhubUNJazhpSlBHSjgyWVdETXNwMWJQd1dzT0xhTDNVcGFKVVp5akRFbFVUZk1KSWJQRDREbFNuJlgtQW16LVNpZ25lZEhlYWRlcnM9aG9zdCZWZXJzaW9uPTE=`,
			`AWS_BEARER_TOKEN_BEDROCK=bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t8qJpmkhp38vG69lPvoSxJwcogy9QFI`,
		},
	},
	{
		rule: "gcp-service-account-key",
		tp: []string{
			`{
  "type": "service_account",
  "project_id": "billing-prod-4821",
  "private_key_id": "9b1f891a45d218bafcbbaa49132982769100a24a",
  "private_key": "-----BEGIN PRIVATE KEY-----\nKSYPsmp9b2tZb+IHE/41LEyV6En6Ho9xC9GCb0ClDacg9i24jZTKSln/cFewaP72\nVsRe83HEO7Ne855leaWM4C0HWSKcm354G1Vnqj0TBPIwvl2VAVmdbFcmFuOUPsGl\nG91Buq5U6advtn3LfUkKOWlPfppWMsvmMeeXyUEMqXhlDxXR6x4Wh7qOy+Lm4EGO\nbY4OZ6+NJRXsqn5onC8/4dPDzdR3mmt9362MWMFAc2SnL8zzH4uL41eVTJ5N9cGK\niwNVVVFIc5QVBduXDPzyvLyBb5ixXQUUS9JyxQy/pyKsN+WKNDozsq3gq8iJIfFF\nHIue9tTbXUFrYyfe1dKeKCEBG4ypekt905BfZU0ONfc6RazG7kddFrwn+GUNNBJM\nWBWm4Co6WcxZECX2ke0wMd4F323/M6cM+RgKstWZ9CxqvH3YSMsVCDjAOwtmh2zm\nMV26r5Z0BBmOQWmscltLEAeelgmX8769uNfwmgagTfHiKlCWsC4bBB97etyXwLTZ\n10NLnJqrFxPD2rj2qj2rQcG0f6kM2BZ2v9kw53HPgyG15jsqKozThy94wa6lhhT1\ne0rkQHIzZMzbZJ5LfzjcidIjjkmP0bjwy9qQ3HfaV0kwFNM2UldV7P1G9mL9ACQk\n/b78tW7regRHxspb2y3l72jWxmPd7p89fXjTVkH05B7oKJ9L0BSs45jBUEx/BeAs\nMAuYP6HAhPMe6tce5Xc/fCUsFvzSHDeiOFcYoRcRT+TtasSrDwtr8cQAlw1XJnMd\nIQJY+XWr9D9ioVglI+wXd/hgA4KXW5g7KB6z8gpS+Bm2BKgWzivldSyWWptI7uLU\n9EAZCNOYNkIcWB5xISXhidAeHVwjSli5wZL7xmjWSww4zHgNM/x9ChiFD1L0rqoB\nGZ+va9z2gMEkc5w4h60nn/LXcYzHXrhaisCKLBRgwERU/fdK2CF4K3Vx8BkMy5Bk\nBPuhGtg66VWaRObx2yjjlLeHFsASG39MiPeopMmuaaOAOsWXQudI9WHDkoOpBThF\ngmFn+grd/ps/MF1HhxPhPdivWlvYpv+O4SVB+ECZ9AGHnTlLa8z9qbAepbXXwsZG\noX/bXrHNSPv4R2fan6BJAQl9uDTU05y/eFr0lojKUr3pLC8dweEWpUOKQ44UI+yX\ncydsqdoBJ7gmULBQ/7S1zBfb/sqeOXkWErmRLt43YdNQs4zxihaBivERTtDtLqDN\ndPg7FXPkqfQgpnqduubCRxODOmtRuH+Xb45aL02UoebEhaOgsz10AoEMroFiOCmT\nN+jS70n4e+Juq8dj0KZyncOCsKZYLojF8n45jfIEdI3yy4Svv/WtT2KgdZUkJFT8\nO0aYLBtulZy7poR1DB4dtMhIoS3FXafMXj8hAZstIO410XTI1tBR/BuvXTQxkA9F\nafX3rNdrm7q5zB1IHMiJsAymQWgiB7D5sdabz5pgsFrewejGxlKFxq66H40DIw2u\nidmHbI02sx0uMHb2QJW6kkGY6h/p6hVmwKzGqPgLtJxbOiFF9pGweedNdtDiH9r4\nyHx3hx9UziI/mb7xj+8/1TCXH9OEV5L/hI9YzSLAyRKL1x2GzEQ7DvP7Y36zGPwJ\n-----END PRIVATE KEY-----\n",
  "client_email": "ci@billing-prod-4821.iam.gserviceaccount.com"
}`,
			`{"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
 "client_email": "x@p.iam.gserviceaccount.com",
 "private_key": "-----BEGIN PRIVATE KEY-----\nKSYPsmp9b2tZb+IHE/41LEyV6En6Ho9xC9GCb0ClDacg9i24jZTKSln/cFewaP72\nVsRe83HEO7Ne855leaWM4C0HWSKcm354G1Vnqj0TBPIwvl2VAVmdbFcmFuOUPsGl\nG91Buq5U6advtn3LfUkKOWlPfppWMsvmMeeXyUEMqXhlDxXR6x4Wh7qOy+Lm4EGO\nbY4OZ6+NJRXsqn5onC8/4dPDzdR3mmt9362MWMFAc2SnL8zzH4uL41eVTJ5N9cGK\niwNVVVFIc5QVBduXDPzyvLyBb5ixXQUUS9JyxQy/pyKsN+WKNDozsq3gq8iJIfFF\nHIue9tTbXUFrYyfe1dKeKCEBG4ypekt905BfZU0ONfc6RazG7kddFrwn+GUNNBJM\nWBWm4Co6WcxZECX2ke0wMd4F323/M6cM+RgKstWZ9CxqvH3YSMsVCDjAOwtmh2zm\nMV26r5Z0BBmOQWmscltLEAeelgmX8769uNfwmgagTfHiKlCWsC4bBB97etyXwLTZ\n10NLnJqrFxPD2rj2qj2rQcG0f6kM2BZ2v9kw53HPgyG15jsqKozThy94wa6lhhT1\ne0rkQHIzZMzbZJ5LfzjcidIjjkmP0bjwy9qQ3HfaV0kwFNM2UldV7P1G9mL9ACQk\n/b78tW7regRHxspb2y3l72jWxmPd7p89fXjTVkH05B7oKJ9L0BSs45jBUEx/BeAs\nMAuYP6HAhPMe6tce5Xc/fCUsFvzSHDeiOFcYoRcRT+TtasSrDwtr8cQAlw1XJnMd\nIQJY+XWr9D9ioVglI+wXd/hgA4KXW5g7KB6z8gpS+Bm2BKgWzivldSyWWptI7uLU\n9EAZCNOYNkIcWB5xISXhidAeHVwjSli5wZL7xmjWSww4zHgNM/x9ChiFD1L0rqoB\nGZ+va9z2gMEkc5w4h60nn/LXcYzHXrhaisCKLBRgwERU/fdK2CF4K3Vx8BkMy5Bk\nBPuhGtg66VWaRObx2yjjlLeHFsASG39MiPeopMmuaaOAOsWXQudI9WHDkoOpBThF\ngmFn+grd/ps/MF1HhxPhPdivWlvYpv+O4SVB+ECZ9AGHnTlLa8z9qbAepbXXwsZG\noX/bXrHNSPv4R2fan6BJAQl9uDTU05y/eFr0lojKUr3pLC8dweEWpUOKQ44UI+yX\ncydsqdoBJ7gmULBQ/7S1zBfb/sqeOXkWErmRLt43YdNQs4zxihaBivERTtDtLqDN\ndPg7FXPkqfQgpnqduubCRxODOmtRuH+Xb45aL02UoebEhaOgsz10AoEMroFiOCmT\nN+jS70n4e+Juq8dj0KZyncOCsKZYLojF8n45jfIEdI3yy4Svv/WtT2KgdZUkJFT8\nO0aYLBtulZy7poR1DB4dtMhIoS3FXafMXj8hAZstIO410XTI1tBR/BuvXTQxkA9F\nafX3rNdrm7q5zB1IHMiJsAymQWgiB7D5sdabz5pgsFrewejGxlKFxq66H40DIw2u\nidmHbI02sx0uMHb2QJW6kkGY6h/p6hVmwKzGqPgLtJxbOiFF9pGweedNdtDiH9r4\nyHx3hx9UziI/mb7xj+8/1TCXH9OEV5L/hI9YzSLAyRKL1x2GzEQ7DvP7Y36zGPwJ\n-----END PRIVATE KEY-----\n",
 "private_key_id": "6514cbb7928ac4d8b505ff3a5c241f7e19d98e65",
 "project_id": "p",
 "token_uri": "https://oauth2.googleapis.com/token",
 "type": "service_account"}`,
			`{"type":"service_account","project_id":"x","private_key_id":"597c9495e4617acf1ce5abeca471c19baf8be849","client_id":"1"}`,
		},
		fp: []string{
			`{
  "type": "authorized_user",
  "private_key_id": "c2e1d61b2d896a3a8237b9f3f1adbf5a769f2f95"
}`,
			`{
  "type": "service_account",
  "private_key_id": "<your-key-id>"
}`,
			`{
  "type": "service_account",
  "private_key_id": "7d9a6894ce10a36c3a3be4945463196fae75d1d"
}`,
			`{"private_key_id": "2b4c1ef2005eeb2e61e1b48173c0ddf2c983e07b", "kind": "signing"}`,
		},
	},
	{
		rule: "google-api-key",
		tp: []string{
			`  apiKey: 'AIza-KvgJb4CuPCK8OGiaNBQ5jPqgrXmScKaS4H',`,
			`GOOGLE_API_KEY=AIzafcjLOY_6kmcSoqUAJ2Q3CFk1N5KgSS5Ebgk`,
			`https://maps.googleapis.com/maps/api/js?key=AIza-KvgJb4CuPCK8OGiaNBQ5jPqgrXmScKaS4H&callback=init`,
		},
		fp: []string{
			`GOOGLE_API_KEY=AIzam3kHmRk4Dw63KDo1ESDXi7r26CHLHZBLQe`,
			`GOOGLE_API_KEY=AIzaSkHWVWJsU6K4mmkm6skCFV2OaWkkHwvKyFzi`,
			`GOOGLE_API_KEY=AIzaxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
		},
	},
	{
		rule: "gcp-oauth-client-secret",
		tp: []string{
			`  "client_secret": "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",`,
			`GOOGLE_CLIENT_SECRET=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`,
		},
		fp: []string{
			`GOOGLE_CLIENT_SECRET=GOCSPX-XZOg0c4A5g9oylf4nNJqjIYREMq`,
			`GOOGLE_CLIENT_SECRET=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n`,
			`GOOGLE_CLIENT_SECRET=GOCSPX-xxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
		},
	},
	{
		rule: "azure-storage-account-key",
		tp: []string{
			`AZURE_STORAGE_KEY=rvOLFEztoIINTNmDn1VMtKDxMBBpXz7fIJZXwuewt//+ZJXmlKuvyzAzyAtOwibN4R7af5gwqcVKNZKqEo8BBA==`,
			`storage_account_access_key = "SMSM34B6+Qe1///CzRDEn8gi8q9Fw73fepn9vG20SUMa719YwtZlKXF3XAwcdOLbM9O6gP3P/6eTVTGZjoaBQg=="`,
			`  "storageAccountKey": "9IlTm/dxdL+jrFb2diTaPZEsQVX6DKpOQjy0BEbYa6n98RpBFOfq3BQDzeD8LkXKmJ37pPiYHVGsrTDEf9721w==",`,
			`account_key: rvOLFEztoIINTNmDn1VMtKDxMBBpXz7fIJZXwuewt//+ZJXmlKuvyzAzyAtOwibN4R7af5gwqcVKNZKqEo8BBA==`,
		},
		fp: []string{
			`DefaultEndpointsProtocol=https;AccountName=billingprod;AccountKey=SMSM34B6+Qe1///CzRDEn8gi8q9Fw73fepn9vG20SUMa719YwtZlKXF3XAwcdOLbM9O6gP3P/6eTVTGZjoaBQg==;EndpointSuffix=core.windows.net`,
			`AZURE_STORAGE_KEY=9IlTm/dxdL+jrFb2diTaPZEsQVX6DKpOQjy0BEbYa6n98RpBFOfq3BQDzeD8LkXKmJ37pPiYHVGsrTDEf9721w=`,
			`AZURE_STORAGE_KEY=$(az storage account keys list -n acct --query [0].value -o tsv)`,
			`AZURE_STORAGE_KEY=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==`,
		},
	},
	{
		rule: "azure-storage-connection-string",
		tp: []string{
			`AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=billingprod;AccountKey=rvOLFEztoIINTNmDn1VMtKDxMBBpXz7fIJZXwuewt//+ZJXmlKuvyzAzyAtOwibN4R7af5gwqcVKNZKqEo8BBA==;EndpointSuffix=core.windows.net`,
			`  "Storage": "DefaultEndpointsProtocol=https;AccountName=logs42;AccountKey=SMSM34B6+Qe1///CzRDEn8gi8q9Fw73fepn9vG20SUMa719YwtZlKXF3XAwcdOLbM9O6gP3P/6eTVTGZjoaBQg=="`,
		},
		fp: []string{
			`DefaultEndpointsProtocol=https;AccountName=billingprod;AccountKey=<storage-account-key>;EndpointSuffix=core.windows.net`,
			`AzureWebJobsStorage=UseDevelopmentStorage=true`,
			`DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;`,
		},
	},
	{
		rule: "azure-sas-token",
		tp: []string{
			`https://billingprod.blob.core.windows.net/exports/q3.csv?sp=r&st=2024-05-01T10:00:00Z&se=2024-12-31T18:00:00Z&spr=https&sv=2022-11-02&sr=b&sig=%2FKWGaNMMWS5jqkarODF4AtEIhUXSwroFuT440mMkuE4%3D`,
			`BlobEndpoint=https://logs42.blob.core.windows.net/;SharedAccessSignature=sv=2021-06-08&ss=b&srt=sco&sp=rl&se=2025-01-01T00:00:00Z&sig=dMTwCvf9ZKqFdCTIv5EdYkcompCYA%2BJVKUXAgryDyVI%3D`,
		},
		fp: []string{
			`https://billingprod.blob.core.windows.net/exports/q3.csv?sp=r&se=2024-12-31&sig=Fe5lCEBn%2BG2oMmXKUeBFRaUYBi7AuapFyogAM6VjK7w%3D`,
			`https://billingprod.blob.core.windows.net/exports/q3.csv?sv=2022-11-02&sr=b&sig=7Pqzm00RoBDtA4wsKYg6Aw%3D%3D`,
			`https://billingprod.blob.core.windows.net/exports/q3.csv?sv=2022-11-02&sr=b&sig=<signature>`,
		},
	},
	{
		rule: "azure-ad-client-secret",
		tp: []string{
			`AZURE_CLIENT_SECRET=x8_6Q~5P803LpwB4HzEOUTr59z2DpJVobKhAlwE5`,
			`  "clientSecret": "NfM3Q~~Lt2DR8uwVgAi1ga1GqGczYdOFwHqWAKxk",`,
		},
		fp: []string{
			`AZURE_CLIENT_SECRET=ZBsFQ~XL71Ejf5e2JY2M1Ib4y944HCECeJjITaQu`,
			`AZURE_CLIENT_SECRET=Br57Q~e9cK3Syv1oQVxbL7Bb9Q6HIwy`,
			`AZURE_CLIENT_SECRET=xxx8Q~xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
		},
	},
	{
		rule: "azure-devops-pat",
		tp: []string{
			`AZURE_DEVOPS_EXT_PAT=RdwCoq33UxxY8c2hwF6sD9HOwXlmnwI5T0VHXErsRccQF6Hyit41X2xLy9tpz6tIgJzIJlOuyOcxAZDOHgVh`,
			`git clone https://build:ofgI1f4DDQrWULjxAe3doGxBIxVNny5sC2T3TFHpW9wSpQVqqIyq34187J9h1SDqztnPT8XdjlFUAZDOhius@dev.azure.com/contoso/web/_git/web`,
		},
		fp: []string{
			`AZURE_DEVOPS_EXT_PAT=NGAdSCas9RwFyzjtUgqGO6sXbQVFfncTut6tAjZ5FdXlLFDe1RfakyqcgX9JgHIErW2UmCmSkAGAZDOYgG0`,
			`AZURE_DEVOPS_EXT_PAT=IDx5Xc33lt6RoJrKg3dUVtOJmlQkbcwdEm9xcVElXN8iqiFoh5zq4oWNKImBi9mAVwEej1Qzpw7FnjKCAZDO`,
			`AZURE_DEVOPS_EXT_PAT=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxAZDOxxxx`,
		},
	},
	{
		rule: "azure-devops-pat-legacy",
		tp: []string{
			`AZURE_DEVOPS_PAT=l3ltmoqfz6spqrfq6zlwtwyjjirilt27fxjyiyhyx2d2ocmpsk7e`,
			`  ado_token: ofjtzyppt7ythgptsjic5iy2dqp6xltv5j3ch4keghp65wv3malv`,
			`azdoPat := "xvpbsxmhmqzsitvcd7ous6repcxuy7qi6ao6ydma7ijg2pqlvnzq"`,
		},
		fp: []string{
			`AZURE_DEVOPS_PAT=ijkoxheignd4ppwhn3ohhxfayctml2owqqb4d2tirw4xokxaijv`,
			`AZURE_DEVOPS_PAT=65QWS5FQ5W2CAITQKEXS3XYRVG4DX2INA3QM7B4YL57OH7VMOEJ3`,
			`build_id = n7xxpgm2e4x747ksxy7oqymhjojrcxzjubc6n5ldh3pxjdpfgpix`,
			`AZURE_DEVOPS_PAT=wpjf45noru5evdayvxgt2yhcm25vxwigvvmhyo3s18901890abcd`,
		},
	},
	{
		rule: "azure-cosmosdb-key",
		tp: []string{
			`COSMOS_CONNECTION=AccountEndpoint=https://orders-db.documents.azure.com:443/;AccountKey=TolTH3IGIJ26VH8sK8Z36WkvCEGQx81ajLrw1NfHgB4XtOo1R3ULhh1rxHVk8IQKvOEDr7apls76WwdS7Dw5Qg==;`,
			`COSMOS_KEY=nb9kUACprm/OqxsZ+ksai7pudK3qGmgpsdFt4cMY57v0WY9pN78KSxG+TQ9+HtTZHzRFz9K0y/A+79dlKXpk6A==`,
			`  "CosmosDbPrimaryKey": "3mEIwq5H7eJBbbjPqk3kjFMIFlfI3xg3dGcbosI7Q2hnluHDqFeo6QKmSuE5CQIGS0jP+O70P4gJf8nibvaDbQ=="`,
		},
		fp: []string{
			`AccountEndpoint=https://localhost:8081/;AccountKey=C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==;`,
			`COSMOS_KEY=C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==`,
			`COSMOS_KEY=hSQHt2+eEUVVcb4v3lCxyPr5cFJxjK9fHMBUXWeO9YPED7MrBI5azwRYK7uCCmIysmFYydoWW0i4Yo2JlxQbdQ`,
			`COSMOS_KEY=${COSMOS_KEY}`,
		},
	},
	{
		rule: "azure-service-bus-connection-string",
		tp: []string{
			`SERVICEBUS_CONNECTION=Endpoint=sb://orders-ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=WIhutoMTUSWSEVDPyTqnGpwLQ7V6O+Za7lgXxABZaVo=`,
			`"EventHub": "Endpoint=sb://telemetry.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=Xh+iSLQg5Ne/dgIv0FJKTZEiKrlrJ+jRslreCyeUs58=;EntityPath=events"`,
		},
		fp: []string{
			`Endpoint=sb://orders-ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=<key>`,
			`Endpoint=sb://orders-ns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=huLUa/8ESiaG6+jD7RgljtypCOhKxZddXf1Ih3mF0U`,
			`Endpoint=sb://orders-ns.example.net/;SharedAccessKeyName=send;SharedAccessKey=azB31hQ/5vLRCmRm1J5HORnHKQvD1fFS14JDzKrZYt0=`,
		},
	},
	{
		rule: "azure-iot-hub-connection-string",
		tp: []string{
			`IOTHUB_CONNECTION_STRING=HostName=fleet-hub.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey=jOQ6LKdhHuia2zRYOCQtD7brxJ3LBPNxgu2315oZBnc=`,
			`conn = "HostName=fleet-hub.azure-devices.net;DeviceId=truck-17;SharedAccessKey=8cKMVAKkMLRyOun+IJJaPWenn6GZOFWv8SZa+BbjUtQ="`,
		},
		fp: []string{
			`HostName=fleet-hub.azure-devices.net;SharedAccessKeyName=iothubowner;SharedAccessKey={your key}`,
			`HostName=fleet-hub.azure-devices.net;DeviceId=truck-17;x509=true`,
			`HostName=fleet-hub.azure-devices.net;DeviceId=truck-17;SharedAccessKey=9tILCXDuBjBDpQzJbiE59M14iEirTp`,
		},
	},
	{
		rule: "azure-container-registry-password",
		tp: []string{
			`docker login contosoprod.azurecr.io -u contosoprod -p vOKypFjHCaTtxWWn3yx16jPxsmaxKYpSikYHtdPqxo+ACR9Md5zw`,
			`ACR_PASSWORD=a1nVFRgJyu2AkTlgjjijmuBn+3qTSDzz`,
			`docker login -u contosoprod -p a1nVFRgJyu2AkTlgjjijmuBn+3qTSDzz contosoprod.azurecr.io`,
		},
		fp: []string{
			`docker login registry.gitlab.com -u deploy -p vOKypFjHCaTtxWWn3yx16jPxsmaxKYpSikYHtdPqxo+ACR9Md5zw`,
			`ACR_PASSWORD=$ACR_PASSWORD`,
			`ACR_PASSWORD=i9qoafWMhLIF`,
			`docker login contosoprod.azurecr.io -u contosoprod --password-stdin`,
		},
	},
	{
		rule: "alibaba-access-key-id",
		tp: []string{
			`ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIBWQjIfDRjpxJyMpp0voO`,
			`"AccessKeyId": "LTAI5t2KDkK2mlCJufKFwb"`,
		},
		fp: []string{
			`ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIr5UpzihWuI`,
			`ALIBABA_CLOUD_ACCESS_KEY_ID=LTAIxxxxxxxxxxxxxxxx`,
			`ALIBABA_CLOUD_ACCESS_KEY_ID=XLTAIXzmdtOm7L0zraALo`,
		},
	},
	{
		rule: "alibaba-access-key-secret",
		tp: []string{
			`ALIBABA_CLOUD_ACCESS_KEY_SECRET=EEFVWftwjsa0O8kXriknun1cYiKLOt`,
			`  access_key_secret: "WAMAHuimavHIrTHy91JVmHOH4iuu3z"`,
			`ALICLOUD_SECRET_KEY=WPRZUebpgv39wkVt5NkStsgmRpkWOC`,
			`provider "alicloud" {
  access_key = "LTAIuqHbamJLPKkFQUz1fIfE"
  secret_key = "QWATAhoiztVxHc0VMHHeJ4pAGNwmXh"
}`,
		},
		fp: []string{
			`ALIBABA_CLOUD_ACCESS_KEY_SECRET=KDCFXcwmzdA5jrujhwFOgapFwNv7rzQ`,
			`ALIBABA_CLOUD_ACCESS_KEY_SECRET=6zr6m2nw656u6xvtknri17txjjpvy3`,
			`aliyun_secret = ${ALIYUN_SECRET}`,
			`access_key = "LTAIQ83ZSM8QxhzKs5lBK7XD"
secret_key = "ZBDFOcateaR6jQGQXV88t2AKWqJSl"`,
		},
	},
	{
		rule: "ibm-cloud-api-key",
		tp: []string{
			`IBMCLOUD_API_KEY=p3danTyFFVAQ0EqV5DYkhuoonOM_OYYdLdG3DVpI9Cfx`,
			`ibmcloud login --apikey 5d7W4cR1ZIPzu_ELPcZVphL7BQm-aNb342u5OdlMC8hX -r us-south`,
			`  "iam_apikey": "y_sq1sPRGv-57oNIlkI2Ged8sAi3-KGjAKstNQFGgM7e",`,
		},
		fp: []string{
			`IBMCLOUD_API_KEY=8YbWcE4SvVbnRb3oE96QGQ7ovGRsjdSfc92XBTcb8ru`,
			`ibmcloud login --apikey @~/.bluemix/apikey.json`,
			`key = "D8GvNiWKfEYtUJoqW5h-QKg6RdZn2zPIC4yQWg01M53N"`,
		},
	},
	{
		rule: "digitalocean-pat",
		tp: []string{
			`DIGITALOCEAN_TOKEN=dop_v1_37e6de8d30567e44f85b87f88619ccd3d050c8be7cf0ce35508d8446c4fafc40`,
			`token: "dop_v1_d7c43c95f3b4e13b7d9a8a07215460f0e1177ee55d61e83e05602ae2c7a308dc"`,
		},
		fp: []string{
			`DIGITALOCEAN_TOKEN=dop_v1_f82b1610a63f85ed5949c37c867f38813e9237eb78e5753c7fe55adb0c215a6`,
			`DIGITALOCEAN_TOKEN=dop_v1_0039527b23fab153bf6f55a2196caba2d6796dd64433a50c6f5bc47f6b00wxyz`,
			`DIGITALOCEAN_TOKEN=dop_v2_3a8582ca9f31fe7a905a5dbe4d6ba436debafe811bfe895fac993ec6c1744b50`,
		},
	},
	{
		rule: "digitalocean-oauth-token",
		tp: []string{
			`DO_OAUTH_TOKEN=doo_v1_78d5c24f83db504cff0d06bd42a9b0c8b32885fa51ce3235fa091dd367136019`,
			`token: "doo_v1_d978226ad49e651663cdd9ef23945fa5678aa34419ae9e04449d06b651f6f886"`,
		},
		fp: []string{
			`DO_OAUTH_TOKEN=doo_v1_8edbe56cddc79657807cee0c80b7b5a0aa9dce4083360687713c50a91065f08`,
			`DO_OAUTH_TOKEN=doo_v1_2e170be198a8be61a910234f8fb79a5a16e607f96bbf65bb3ed88588ff0bwxyz`,
			`DO_OAUTH_TOKEN=doo_v2_f70ce8b2ad0f26ebb4d393df1f943b3878c9140b7871ebf146061bb5ba05a09d`,
		},
	},
	{
		rule: "digitalocean-refresh-token",
		tp: []string{
			`DO_REFRESH_TOKEN=dor_v1_a2f63fc27fa05ec5455da26c1663c6b887cfae2a3dc40b423cfa3905f836a2bc`,
			`token: "dor_v1_71f79c5e9b877873ed53d5d00fd7f5704cfe3bf1263ee3fa37eec63e0f70cf19"`,
		},
		fp: []string{
			`DO_REFRESH_TOKEN=dor_v1_c70400f13fa906ddb3bb7771cfbd8bd675e56959ed89cbc6aa1c9599b6b85ab`,
			`DO_REFRESH_TOKEN=dor_v1_3ba29d29b73d20e3f15dcfa36a4521a112c88e6943a66531f1243f8acc1ewxyz`,
			`DO_REFRESH_TOKEN=dor_v2_c53d4ae72598161f20c1c23e14055456c1f0c6bc55066527a1760aee1498aa35`,
		},
	},
	{
		rule: "heroku-api-key",
		tp: []string{
			`HEROKU_API_KEY=HRKU-AAR1ON_ama8eGUrXyypVlIi3p5_IawuP-Wp4NhsNR5GSqmWK7XFE7OGtFJ5O`,
			`const herokuKey = 'HRKU-AAGLQYeXOQRSJkjq9jgK0_r3KiMgPxNS0RxyxkMk_nXGXqpxYg_KpTiM2P2t';`,
		},
		fp: []string{
			`HEROKU_API_KEY=HRKU-AAMZjz4VnUM-CUrVKaSuyZezSTcYUo17UDqmfGmHtMRZTc4i_rQIw75VYsq`,
			`HEROKU_API_KEY=HRKU-ABpJp7qUIhAsAEaoRpi4goqklnUi4fYZDje_XV4K5zA0nesFw7gqjUiKXZ22`,
			`HEROKU_API_KEY=HRKU-AAxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
		},
	},
	{
		rule: "heroku-api-key-legacy",
		tp: []string{
			`HEROKU_API_KEY=db83a750-b7e3-4ef3-a07f-d7445108d7ca`,
			`machine api.heroku.com login ops@acme.io password 394b81d6-2546-4bf6-aee7-e4ca0182f0f1`,
			`heroku_token: 0556871d-a084-4f04-ab59-79b7b01c737c`,
			`machine api.heroku.com
  login ops@acme.io
  password 5bec6db4-d313-44fb-ac57-07910e9755c1`,
			`machine git.heroku.com login ops@acme.io password 600429b7-0b40-47d8-adb4-03b52efa8d27`,
		},
		fp: []string{
			`HEROKU_APP_ID=b91272aa-7601-4898-a315-006667cf09ac`,
			`HEROKU_API_KEY=00000000-0000-0000-0000-000000000000`,
			`HEROKU_API_KEY=f5a81388-2bd1-4ce7-a0d7-aa840c6f74f`,
			`machine api.heroku.com
  login ops@acme.io
  password $HEROKU_API_KEY`,
			`machine api.heroku.io login ops password 3d63ac2a-89cd-43f7-ae45-df14a39e383d`,
		},
	},
	{
		rule: "cloudflare-api-token",
		tp: []string{
			`CLOUDFLARE_API_TOKEN=XqaOKKp0y3nMAGkKUIXO2r_-o1lQJ8iGm5ManizG`,
			`cf_api_token = "ah7sbhGR0NEJ6FIFyLeEhOqxEw0J4j1f6KlU6Y_O"`,
		},
		fp: []string{
			`CLOUDFLARE_API_TOKEN=E8uCaQkBOnvTFPh5LEdyeObXnl4QnVB9GKQMo22`,
			`CLOUDFLARE_API_TOKEN=${{ secrets.CLOUDFLARE_API_TOKEN }}`,
			`token = "DRZ0zjqxeLqbFZfenkZSkQGHefgUQb4cfWS8v7vP"`,
		},
	},
	{
		rule: "cloudflare-global-api-key",
		tp: []string{
			`CLOUDFLARE_API_KEY=a0bda854ae41a3f852b49d7385d59d77db6bb`,
			`X-Auth-Key: 92233bee061a36b567ebfc538b6c939750732`,
			`cf_global_key = "a60e762e441684d71eeb9fb155e5d3c966405"`,
		},
		fp: []string{
			`CLOUDFLARE_API_KEY=b98099ab66aeb1f41141f08ba23e0f5e77f9`,
			`CLOUDFLARE_API_KEY=71677986bcc634102cd7af00e336f4c47c748f`,
			`CLOUDFLARE_API_KEY=ininhgokkpglkilpkkmkmiomihpoohokhmkni`,
		},
	},
	{
		rule: "cloudflare-origin-ca-key",
		tp: []string{
			`CF_ORIGIN_CA_KEY=v1.0-c966429de515c98ba6d04644-a3a6dca8860be9ac8a8534fa386b05f342f1e70354e3f7ebc527f045717b592f2f3b62880519342d4668f3e776dc7ad81cf5b0dddc55dd61b5fd7cc4074fbba7cf87e96d89e584c054`,
			`origin_ca_key = "v1.0-56bb6412a99c7c70714d9636-9965b3d935d06353b1e4dea04b96babd59da91cccbff478d0d358d392f542f0c2895f4ef7ba6871df1e699e8f152d3a8df6ca2539b2543ec2ad2e67bc35b99d6699e64e34a4f5b8ce4"`,
		},
		fp: []string{
			`CF_ORIGIN_CA_KEY=v1.0-0f98123dd0767dbbf8c2a043-7e0f3deb5384cfa61e8b2d98a31e0a9398a2c72c08162d1f013737029cc2f8af5704c2c31c57f330c85a838a599907c17454c61cddca6f6af34389e9b9603b974dba5ae9192877f08`,
			`CF_ORIGIN_CA_KEY=v2.0-d861b1571ede855675c39161-930cb3cc1e17c030b81671d78f89aaf988324d68230207ad71c8290aa59cbeb69811aa604eeaa39d8a4c79ea60bc30dc27f3858a64ac64e0c77544ddfaa7d2fa4ea6662ea2d85e6e86`,
			`version = v1.0-beta`,
		},
	},
	{
		rule: "oracle-cloud-preauthenticated-url",
		tp: []string{
			`BACKUP_URL=https://objectstorage.eu-frankfurt-1.oraclecloud.com/p/qRp1weHysaKGeovvl7cq_KC4tQxhG9EzfVwYaNLxk00LjkyXoRpIbozr9a-yeyg1/n/axk7yq2/b/backups/o/db.dump`,
			`curl -T app.tar https://axk7yq2.objectstorage.us-ashburn-1.oci.customer-oci.com/p/r1maAtvQn0TdJooyOrHeZfonJ5wrwgQFgHRILEN6TT-0xE-bZUX3wTGUpixVUAyt/n/axk7yq2/b/drops/o/`,
		},
		fp: []string{
			`https://objectstorage.eu-frankfurt-1.oraclecloud.com/n/axk7yq2/b/backups/o/db.dump`,
			`https://objectstorage.eu-frankfurt-1.oraclecloud.com/p/iYK7iGxhwSoaYnW3zqBW/n/axk7yq2/b/backups/o/`,
			`https://objectstorage.eu-frankfurt-1.oraclecloud.com/p/<par-token>/n/axk7yq2/b/backups/o/`,
		},
	},
	{
		rule: "linode-token",
		tp: []string{
			`LINODE_TOKEN=ec917951af0dc901e968bc8478780de0108c396b61315e6f5e36f6ecd3ade303`,
			`  linode_api_key: "c866e135c5bb32f7e416d3cac7f696a2e8ec7985718a71e906fee81cd5ed927d"`,
		},
		fp: []string{
			`LINODE_TOKEN=c8fa4a1d76d2f912b89a01cfe2454dce9d33c967a6a1be6ca98929d46506e6f`,
			`checksum = "a8440e68c88ed8585a20f19c3df1b10e724e387e01b9f3778da2216bd369ff51"`,
			`LINODE_TOKEN=50d888d531c7bb030ce19f2792010ece8d59304d037e96b3f7d9df0c7b53db140`,
		},
	},
	{
		rule: "vultr-api-key",
		tp: []string{
			`VULTR_API_KEY=VJOH0OO76M7IDDXCTAZVCCM0IGRXVL4H01OS`,
			`vultr_token = "FMXN8JKEZIF8MLN1EALVV88PRKJK774QC6RW"`,
		},
		fp: []string{
			`VULTR_API_KEY=M8UKPNLB8NP5XNOP59IBBJX10P220VPO3XU`,
			`VULTR_API_KEY=ymjr8opx8xwr8v6m0vb7rx97bm7lhj9s9te5`,
			`VULTR_API_KEY=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`,
		},
	},
	{
		rule: "scaleway-access-key",
		tp: []string{
			`SCW_ACCESS_KEY=SCW3ELP9MD9OMAF404EA`,
			`access_key = "SCWA4XY16PRZ7OJJL6BP"`,
		},
		fp: []string{
			`SCW_ACCESS_KEY=SCWFB4EB0WGGMRRT609`,
			`SCW_ACCESS_KEY=SCWXXXXXXXXXXXXXXXXX`,
			`SCW_ACCESS_KEY=SCWM82FEQAQ3E977JAA7K`,
		},
	},
	{
		rule: "scaleway-secret-key",
		tp: []string{
			`SCW_SECRET_KEY=5f0ac202-f1eb-49e5-aaa0-2388b984fe6f`,
			`  scaleway_secret_key: "07fb5c39-ac7b-4cad-a8a8-7f54c77e8459"`,
		},
		fp: []string{
			`SCW_SECRET_KEY=${SCW_SECRET_KEY}`,
			`secret_key = "f07f3470-95bd-45fd-a03f-b4b22a57ed64"`,
			`SCW_SECRET_KEY=fdf7702a-36b4-485d-ae43-f9273b`,
		},
	},
	{
		rule: "hetzner-cloud-token",
		tp: []string{
			`HCLOUD_TOKEN=7PC9sVyzNFtXlW14PCwBYptbeWAHAIZLJutzohVew7dE2ikR13zmCJXaRZWdmOK3`,
			`hetzner_api_token = "YVNGBFG7yOaZ4vWRUE3nf30EXFtGZzAXH8nmzIWZOO1xXYFJlXwbCtf8V8jiLmLB"`,
		},
		fp: []string{
			`HCLOUD_TOKEN=6M1j7DRrtRnU9qGSd17UTYHfYTNIo1UYyP77DjXDBPzNTiY8mibIRzcrzdHJs5u`,
			`token = "uhQ5wtELX4A1QxHMRmxhkjus550FqCJj7q6AGYuH0zGV5T39UPVFiEmfS3VX7Gfs"`,
			`HCLOUD_TOKEN=abababababababababababababababababababababababababababababababab`,
		},
	},
	{
		rule: "ovh-api-credential",
		tp: []string{
			`OVH_APPLICATION_SECRET=AuiiAKZrYLBRj5FvjNGHV3J92BSjXnKD`,
			`  ovh_consumer_key: "GW9KDtGVmRTaC2fZaf13JIFlOfZeNShS"`,
		},
		fp: []string{
			`OVH_APPLICATION_KEY=sgSCpursx3ESzLsA`,
			`OVH_APPLICATION_SECRET=Ugtt7L9IV71Kd71Z8HesFHvDqPdLb4v`,
			`OVH_CONSUMER_KEY=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
		},
	},
	{
		rule: "vault-service-token",
		tp: []string{
			`VAULT_TOKEN=hvs.8ro4RUBj5aa6BGqRrnx8OnIQ`,
			`X-Vault-Token: hvs.CAESIWXQp_OIfqMHfm0Rff_5PGyMPuB-zC5W7JDriBasdAZnml9Me9H9jtBVl-x75Uz7PSa501feg7F2bX1l9wHRzje`,
		},
		fp: []string{
			`VAULT_TOKEN=hvs.BqA2GaMVs7HAXlsm8Ym6cYD`,
			`VAULT_TOKEN=hvs.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`VAULT_TOKEN=hvs.DSv65TlOoi1hmCUncsCCIJxQ1C5tB73KvLc6rcI3`,
		},
	},
	{
		rule: "vault-batch-token",
		tp: []string{
			`VAULT_TOKEN=hvb.AAAAAQb5dv-NJDTe0uPpDZxUaSrze8xDrY2yKhrQ8M2Yr4aEE6dh7-gnBaJwMqEATaIo2KXOV9pTkwbPoFBS5PDgXVHcC8usjDR0El3Fpsri47uZfhRm0sDGzXkuVv6_3YY6I59hfHUfWij3weJqtDDuz3el`,
			`token: "hvb.AAAAAQWv_g4852bVSWmh2V6RCBxUtm3dyh7TEjWO-gq3QBVp5oRcSfPbypfQLX46uWJQhpEvR727OIQYNGifdXwaBwWslTxf7BX7XK-kJltvSoCIkNeuBtttwuyNz4p0FNp5nJPO"`,
		},
		fp: []string{
			`VAULT_TOKEN=hvb.Y5DAU41rD3Hu18aXXKnwY4C7yFsy73T4LTkUEzcxOExzPKXHCl`,
			`VAULT_TOKEN=hvb.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`,
			`VAULT_TOKEN=hvbx.hfHxPnzfoihmMBv5v0SYs2OhRucF2rg4yZxyxGr0BVYmsJEtABSiuXkL2Y1ZiXZfVbMfyoKFeLj1OjHV2CPYQJZgqZl6kfMvHMrzDYWPivUqCwKNwbI9RS4WWZeppSxOet0Ehc4nKPZL`,
		},
	},
	{
		rule: "vault-recovery-token",
		tp: []string{
			`VAULT_RECOVERY_TOKEN=hvr.goPdE13BNmUXMN2NxdFbBI2S`,
			`recovery: "hvr.2uryXmgOoZqeoG9oF10cHPXqvwaqKeCowxIn9u_j2OSK8ZXtMpntgR1zKOjFowVlaAunIbwwmoBeJtRsC6fzEiRF6W"`,
		},
		fp: []string{
			`VAULT_RECOVERY_TOKEN=hvr.YHFpjGlkMFQkm6jPC69q`,
			`VAULT_RECOVERY_TOKEN=hvr.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`,
		},
	},
	{
		rule: "vault-legacy-token",
		tp: []string{
			`VAULT_TOKEN=s.3Oh7hJntQD3Z5UzDkiYZK72r`,
			`vault login s.6dnRjxONVEEGRgnQjnRk7IXs`,
			`"X-Vault-Token": "s.ATHrvuBpe741KQa5hEE62Trg"`,
		},
		fp: []string{
			`x = "s.l7pyBmhujq36sqCiscdBGqLa"`,
			`VAULT_TOKEN=s.bDvOdbrQpUZJM0VQCnZWwqJ`,
			`VAULT_TOKEN=root`,
			`vault login -method=userpass username=ops`,
		},
	},
	{
		rule: "terraform-cloud-token",
		tp: []string{
			`  token = "qTAJRFDuhUpZdg.atlasv1.QAWd-wcz76GBmX6nUxLT0H48I8NYo41BNdoqVyJefUXio87l8qZqhuNd4nc0JSaG-x1"`,
			`TFE_TOKEN=i1rY7Z1VaCRAY4.atlasv1.aIw_e76YNJqT7daJy5W-uaIENPotSDhI8VkZypRmiBLNIpHmSlEWiTJR8wbljvHVscp`,
		},
		fp: []string{
			`TFE_TOKEN=5ZJdviRUE5q9R.atlasv1.LeAHcFZEa8dMlHg5X_76qLTBSfI9fdCNevJsxty-cjCdv_PiSQCsg5RGottwaqiGPAK`,
			`TFE_TOKEN=Zv4Q99WvbY0nLY.atlasv2.qCG33tZ4WKlxecbmhtlxJrVIM023A3vkt-9u6k9L9AHnttEntUzi76QHJxb6o3YSlIR`,
			`TFE_TOKEN=0jCQthgFzmNcom.atlasv1.yO16VHUg4pwMHhhS9Wet7K56oCgvjHjkV3TvBl64`,
		},
	},
	{
		rule: "pulumi-access-token",
		tp: []string{
			`PULUMI_ACCESS_TOKEN=pul-cf55433afd97166184e8a3f5513ba64f2dd5128e`,
			`accessToken: "pul-4ba96d2e01fb4ad0bf774456ae080024d51bfabc"`,
		},
		fp: []string{
			`PULUMI_ACCESS_TOKEN=pul-04ab6188358fc2a05969d8172badb6bc9be628e`,
			`PULUMI_ACCESS_TOKEN=pul-DF4B180D4BD3B1704B8EFA2E7A1B891A295BDCF8`,
			`PULUMI_ACCESS_TOKEN=pul-0000000000000000000000000000000000000000`,
		},
	},
	{
		rule: "fastly-api-token",
		tp: []string{
			`FASTLY_API_TOKEN=YFRiHHVpsnxflk0VVzmbUPQIXUsHFHCI`,
			`Fastly-Key: qloMS519yGVUcItV7EeiIWs5vKqL9Xdg`,
		},
		fp: []string{
			`FASTLY_API_TOKEN=VKyaGQTq2iuOWFmOF4G5oNlREzhSVvZ`,
			`token = "bG3gZyExhj1mNewF6af5biXPOlQQwdVi"`,
			`FASTLY_SERVICE_ID=QpxeP3iwOztwgsOhDZxSde`,
		},
	},
	{
		rule: "netlify-pat",
		tp: []string{
			`NETLIFY_AUTH_TOKEN=nfp_lkBKzMvoPlQPekYtCkKQ34BexzRDW8xHIsdm`,
			`netlifyToken: "nfp_XUXhcjcJ6ta92onXvxQlYPDACG3U39FvemNaj9Mh"`,
		},
		fp: []string{
			`NETLIFY_AUTH_TOKEN=nfp_C5MTW2PraFMbdCnG9IW2`,
			`NETLIFY_AUTH_TOKEN=nfp_aBEAEMAOl1ToczGkmt4QPptApuofgO49pSDpDPeiF`,
			`NETLIFY_AUTH_TOKEN=nfp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
		},
	},
	{
		rule: "vercel-token",
		tp: []string{
			`VERCEL_TOKEN=MJRZLhIahS5REOveXCZmXNEh`,
			`npx vercel deploy --prod --token 52l6WlYVTM99Pi8fHBubX2Dd`,
			`  vercelApiKey: "jtYzJqUPPgceIV6hyNltj7QB",`,
		},
		fp: []string{
			`VERCEL_TOKEN=91kOXP4DRrQ7clW1yDIaHF1`,
			`VERCEL_TOKEN=${{ secrets.VERCEL_TOKEN }}`,
			`VERCEL_ORG_ID=team_yPISvOKJ7VmFwzb1IjtkYusk`,
		},
	},
	{
		rule: "flyio-access-token",
		tp: []string{
			`FLY_API_TOKEN=fo1_BJ8H5TZjeZeX_D5YDPMyC3iXkbL9jTwjNzzQs8NgL9w`,
			`fly_token = "fo1_9zX5Ea_3r8Y_u098dgwNHvuMCgkVeppUrwL6zl7B9gw"`,
		},
		fp: []string{
			`FLY_API_TOKEN=fo1_ik5Y7RODrWTzdOatNyWRNfglymsFuBdtGlMtgTAPf9`,
			`FLY_API_TOKEN=fo2_cmGDiWkudXDu1NECKwE2xXQgZAtRwMuSaOCUDeJcZ6S`,
			`FLY_API_TOKEN=fo1_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`,
		},
	},
	{
		rule: "flyio-macaroon-token",
		tp: []string{
			`FLY_API_TOKEN="FlyV1 fm2_lJPEgfMF+ONnuvJpaBroasuyfZc8p+YMmN1CtPz1jXF3kyt6S/rHRIk1M2B+y2zAaXwTpArTZi6FpzQUaoulZoS2uyMdx5rUqrI3vNULNfN2uqPLBbRxIClUoxx7QiSVZCvqMMmNpdX6AnXVYNY5d938flK/KnzUkRegS2USWpGCaKqrIyHxtgbPQpOMgNr0jFI3iJLIYlYn4zahDsFnzn/v+d7hPvgs6HUX6PmC6D/lpH7s4YPRbPKDvDnwtvg=,fm2_lJPET4nnfIwOj4CJyU4hoW4jCBUJe14GBDdf2ImDF/GBMzMI3jxvA7sSmXTtBkKQqGbK6K8h4wDfAuBwuu0s/ziOax/BGuQI86nQFOxRiiZ5CmJfDS3b2CxHMrGIjP/5FZOh1McrseHIKoLAOUPzUY9CLIcmpJ+c6mlkMXA3WLal551BC146b8HCl73npfBw0p1/gWweX8DAp1iVhs7428h161P6tMWgngk9MED4+g=="`,
			`fly auth token FlyV1 fm2_lJPENE8LMZEA/KuGrnUhcftzg3ba00WEnPihIPcJRSjc7tCHiX19wTMhrMcXVxQkymWAnhYnVMxTo+N2W9BS8yX258snE07/TfOavhQBQ+jW/yCNbEglwmy4SgiJzNSs50t1m1DC2MMbnCw3CfXg5Ujuw0z/2h2sMJLEv81PtGtObsnRJPzY2bcJVz5LoZWykIA29wDxRVI+lbJ4SUNEoSqdXrHScq5FfzugwqI=`,
		},
		fp: []string{
			`FLY_API_TOKEN=FlyV1 fm2_cRNdObLKidUXneH5SjzGW8xK5wBLKE`,
			`FLY_API_TOKEN=FlyV1 fm2_NoP6oIVsLW16a2bBr7JMau54ACT4VniGtEyD3MdhNP8hFc7kKtrIvQgZzjl4U5hnE`,
			`FLY_API_TOKEN=FlyV1 fm3_lJPEZcCw2UCEWMwX6PzB8kWu3+Ykxtx79kjvDJvQyZbYYsp8S/v3g57wZIuFplNKi/13+hIxLQOjoFRs4/hCkwuiffA9ZnH91bPrmspSiwteh+DHVaPkWjaLnq+KJNPDgR01kK21PoEKQwPcg9qsLW3VdWcLAGsdeLF4E5MSgnXWxgLuNnITEOyhm40Q7JlLt+tea97Ky8gZ2M7s2Q7n/6tQLEmKW6NRSQnnBC71O4ZDoIEphnkcP34uYhkvsexThsMkURoCVOJj`,
		},
	},
	{
		rule: "supabase-pat",
		tp: []string{
			`SUPABASE_ACCESS_TOKEN=sbp_25f4c17ca4ba9d0970149812d66e384264f11ea2`,
			`supabaseToken: "sbp_d69938341763f720fb026308cd41c61c69adaa30"`,
		},
		fp: []string{
			`SUPABASE_ACCESS_TOKEN=sbp_28054fabb99c8572c3351f90890f3fc91a6a76c`,
			`SUPABASE_ACCESS_TOKEN=sbp_ED6404D6178D4022D33CCBE0DDD3F00EE4C7C27E`,
			`SUPABASE_ACCESS_TOKEN=sbp_0000000000000000000000000000000000000000`,
		},
	},
	{
		rule: "supabase-secret-key",
		tp: []string{
			`SUPABASE_SECRET_KEY=sb_secret_b5zq0JO4_jc2a-M9D7WwPGBUN0BYvKB`,
			`const key = "sb_secret_KUebcITAqTDj7ezBFyfOpNz83cr5Ozq";`,
		},
		fp: []string{
			`SUPABASE_PUBLISHABLE_KEY=sb_publishable_VVqrdceBf12Pl9NvRHinRk2IUg5EpOk`,
			`SUPABASE_SECRET_KEY=sb_secret_mmnJRtQjIa`,
			`SUPABASE_SECRET_KEY=sb_secret_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
		},
	},
	{
		rule: "planetscale-service-token",
		tp: []string{
			`PLANETSCALE_TOKEN=pscale_tkn_fCeLnpRRX1f9t62cyonreqfCi48omxch2RCgNJd-8i5`,
			`password: "pscale_tkn_E5AQmw4ncHbtuZ5j0pCdRrNYJml6e63HQkdp3U7usqb"`,
		},
		fp: []string{
			`PLANETSCALE_TOKEN=pscale_tkn_r640LHHINpWDVaZvoY1k`,
			`PLANETSCALE_TOKEN=pscale_tkn_IiaaKeOw1yCQreG8kgBRr9xhZ8AhjtEGAeRXVjrB8S7jPMigk2nGfx9xLz3Rz3Db1Ema6T`,
			`PLANETSCALE_TOKEN=pscale_tkn_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
		},
	},
	{
		rule: "planetscale-password",
		tp: []string{
			`PLANETSCALE_TOKEN=pscale_pw_wbKh0a7_iHubZx-BuwYLsTfFQOnEhB-V9OBNz4aLboP`,
			`password: "pscale_pw_x4kBTXGmaeVdE4JfkwAyttgt6eycWubN1VFy0c2EJGV"`,
		},
		fp: []string{
			`PLANETSCALE_TOKEN=pscale_pw_4HZXW3Y9MBRbOYGIFmpF`,
			`PLANETSCALE_TOKEN=pscale_pw_0U2CUzjR3vPaSS3K7qNZx9lsddocmZLj0GEgK7I1uAfLx1ayQL4yKY4MRxmYWKLTbeq5e0`,
			`PLANETSCALE_TOKEN=pscale_pw_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
		},
	},
	{
		rule: "planetscale-oauth-token",
		tp: []string{
			`PLANETSCALE_TOKEN=pscale_oauth_g_1czdxppsZGXe97SUUqKA0Dejaed82xkMGtuucq5ap`,
			`password: "pscale_oauth_6UQMDoSM9N1Xk0DI1xvAmlVf72WTC4qdkAnUzlZ2Sb9"`,
		},
		fp: []string{
			`PLANETSCALE_TOKEN=pscale_oauth_DwmbpFTfdBy0pKPlCOAb`,
			`PLANETSCALE_TOKEN=pscale_oauth_MDsd7oreodS1qko7UoATs1pN5aXgyOAmvNNGbJUmLCCVe0TzIGWgQ0xiXyjQeptTbdHZyc`,
			`PLANETSCALE_TOKEN=pscale_oauth_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
		},
	},
	{
		rule: "databricks-token",
		tp: []string{
			`DATABRICKS_TOKEN=dapid2f7d5462a74c9707fe0602a8f6b7d35`,
			`  token = "dapiafca9caff2d55b70787ca50f9ded2985-2"`,
		},
		fp: []string{
			`DATABRICKS_TOKEN=dapi7e17258dc0f68c77782f7d727f3b0a0`,
			`DATABRICKS_TOKEN=dapiglhmklkghngklimmjlhjhljlhgjnmkhl`,
			`DATABRICKS_TOKEN=dapia9014914fc1e82321a73accf59e4d3562`,
		},
	},
	{
		rule: "snowflake-password",
		tp: []string{
			`SNOWFLAKE_URL=snowflake://svc_loader:ab3h2lru546WhBOJ@acme-xy12345/analytics/public`,
			`SNOWFLAKE_PASSWORD=uos9oVFPQ1f%2ou#H3`,
			`  snowflake_password: "9qwp0NzBLm9xc3gth2yb"`,
		},
		fp: []string{
			`snowflake://svc_loader@acme-xy12345/analytics`,
			`SNOWFLAKE_PASSWORD=${SNOWFLAKE_PASSWORD}`,
			`snowflake://user:password@acme-xy12345/db`,
			`SNOWFLAKE_PASSWORD=<password>`,
		},
	},
	{
		rule: "confluent-api-secret",
		tp: []string{
			`CONFLUENT_CLOUD_API_SECRET=7nBhbBjfoDB2SD5U/w1qPZfP70xZNM0bG8D9FjuO0+caMxLq+MbXF00pmYeTQDFx`,
			`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="WGAPRCK547B1EF73" password="pS+iFEzJmNNsvf2P1A5J6imZk0qeGe3h0VmSo4U3f5wRiZ0F7+TsSuN+uvwgVvLO";`,
		},
		fp: []string{
			`CONFLUENT_CLOUD_API_SECRET=7xh2nw2wva2Y6qwSBUllFMe8v66AGwVUA22NeT3bsfh9kd2Q6UO0NTs2v0LDtJC`,
			`sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="gLyVx6XuZcCuRMNSHJCYGvYX7z1TMYYusVrl1oFXPmPm61kYaoYDg8mlJ2EN8sBX";`,
			`CONFLUENT_CLOUD_API_KEY=DUPSLLVCS20EWV6X`,
		},
	},
	{
		rule: "mongodb-atlas-service-account-secret",
		tp: []string{
			`ATLAS_CLIENT_SECRET=mdb_sa_sk_c7drhUkanz24lrAGxzko82BnhS0uG6F9RDf45AZz`,
			`clientSecret: 'mdb_sa_sk_kciO4qIll4vlzYpmUYQ9f42xrshkZui9RX38Z7am'`,
		},
		fp: []string{
			`ATLAS_CLIENT_ID=mdb_sa_id_a2932aa7cab336fb41903713`,
			`ATLAS_CLIENT_SECRET=mdb_sa_sk_CJYcoUhAtd1JSDWybBYhWDVcVN7nRga8MLexnNV`,
			`ATLAS_CLIENT_SECRET=mdb_sa_sk_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
		},
	},
	{
		rule: "mongodb-atlas-api-private-key",
		tp: []string{
			`MONGODB_ATLAS_PRIVATE_KEY=b276f52b-b137-4a0d-a6a3-4bbfabc09a25`,
			`MCLI_PRIVATE_API_KEY=c6309e78-34ae-43aa-a30f-f163640696b6`,
			`  atlas_private_api_key = "cf0913c1-f099-4941-ad14-e51bfb4f4cfe"`,
		},
		fp: []string{
			`MONGODB_ATLAS_PUBLIC_KEY=sraajfko`,
			`atlas_private_key = var.atlas_private_key`,
			`MONGODB_ATLAS_PRIVATE_KEY=042cb36b-cad0-47ef-ab51-321fde53`,
		},
	},
	{
		rule: "render-api-key",
		tp: []string{
			`RENDER_API_KEY=rnd_YjtyjsvkP5UvI6GgrcJ9fW7oaK2gLWIu`,
			`Authorization: Bearer rnd_JieP4SA3ggpmir7S4r2SC7P5UskXeCPm`,
		},
		fp: []string{
			`RENDER_API_KEY=rnd_aM38PalgWJTbZliET2UZlHWFeGgnfoi`,
			`RENDER_API_KEY=rnd_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`,
			`RENDER_API_KEY=rnd_e72xLD9q0lNGfjsWZnWZNZhvR9Rbkv1J6`,
		},
	},
	{
		rule: "railway-token",
		tp: []string{
			`RAILWAY_TOKEN=f9e29fa3-250f-46f2-aa8b-1c72908bd403`,
			`  RAILWAY_API_TOKEN: c5a308c6-ddd7-4de6-aced-d458f39be784`,
		},
		fp: []string{
			`RAILWAY_PROJECT_ID=58a510b4-ccf4-4267-a67d-75a3e9c53940`,
			`RAILWAY_TOKEN=$RAILWAY_TOKEN`,
			`RAILWAY_TOKEN=0fcad69d-7897-48de-a`,
		},
	},
	{
		rule: "doppler-personal-token",
		tp: []string{
			`DOPPLER_TOKEN=dp.pt.JOMzA4jH5YJOryJ6RxZCTm3Js62PmP8lCHPV5hT4kHA`,
			`token: "dp.pt.RR4kXpzddEUQl2QPDs3wSVF2Z8jTXo4B9FHMkHhgMU8Z"`,
		},
		fp: []string{
			`DOPPLER_TOKEN=dp.pt.8UMx9d9S5iW4TNYCJQgZEXNXccwaER5qd6bPds4`,
			`DOPPLER_TOKEN=dp.pt.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`DOPPLER_TOKEN=dp.pt.h5WgArDhluNeoMtFrF5uIFeSVYPDBRfqr1oPC6GaY3mvS`,
		},
	},
	{
		rule: "doppler-service-token",
		tp: []string{
			`DOPPLER_TOKEN=dp.st.prd.HmHO2bDz9DE9RIHrBbAJjPXbLoTH9XCTI7dSvi7CQD1`,
			`token: "dp.st.iIiOyKx6bREn7NkkFrgAiuuiJeplF46tFs8UyLWHEcEj"`,
		},
		fp: []string{
			`DOPPLER_TOKEN=dp.st.jFuqNHMdLtqVD2RHkiueDubPel26lfVTZlRLn11`,
			`DOPPLER_TOKEN=dp.st.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`DOPPLER_TOKEN=dp.st.whjD37yBvESthETaLk59KpU6S0MuDFEne21lrdulnrc8V`,
		},
	},
	{
		rule: "doppler-service-account-token",
		tp: []string{
			`DOPPLER_TOKEN=dp.sa.6neEzAHEuDsfPhicfQRuaLP5kAhJiWFfC991zTkKMmI`,
			`token: "dp.sa.IlaeR5xbVRhUVznnozxR3vTTT3M4IK9iiu4J0kGpfLRo"`,
		},
		fp: []string{
			`DOPPLER_TOKEN=dp.sa.dOWLMBtYHxFPCd30Pdh9JQ8Ie28vGWFfeEHGWx0`,
			`DOPPLER_TOKEN=dp.sa.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`DOPPLER_TOKEN=dp.sa.tbKtVerue3drCHMLUx2B1mlXInrY69J4MNYbFJOqoo9qi`,
		},
	},
	{
		rule: "doppler-cli-token",
		tp: []string{
			`DOPPLER_TOKEN=dp.ct.4f1piMLan3aHXskh4faFAYAFsebpuaXpGb7XBuQ4K48`,
			`token: "dp.ct.m8gLN0KbtIDG9DhlJRMKMftl3tmhcZ3JK5iyRPwn7Xk9"`,
		},
		fp: []string{
			`DOPPLER_TOKEN=dp.ct.8NSGDefwPt4tudhyiuAqOv15Wj5YDlE9a3Foa3D`,
			`DOPPLER_TOKEN=dp.ct.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`DOPPLER_TOKEN=dp.ct.Xv9LzeRzzrJOw0VUCVBaEKDfkgruHW8HHY4c2EXjdq8tT`,
		},
	},
	{
		rule: "doppler-scim-token",
		tp: []string{
			`DOPPLER_TOKEN=dp.scim.jZAY3XvyCuDs6PIeGPHr45byBpkFr9uTvyjTkubDg73`,
			`token: "dp.scim.6rlr6DoYJszGL9uibvf5YloRPTTANYxcU196Ivdk8Z1e"`,
		},
		fp: []string{
			`DOPPLER_TOKEN=dp.scim.1Su0SD6owbI91lGXYa1ffOLQEco5Fyxu2zZYHvn`,
			`DOPPLER_TOKEN=dp.scim.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`DOPPLER_TOKEN=dp.scim.6tSIxHUjN01ASZjAW93GYyoK7Ysqm9TXw3DTct2sFMwpk`,
		},
	},
}

func TestCloudRules(t *testing.T) {
	rules := compiledRules(t)
	checkCases(t, cloudCases, func(b []byte) []Match { return naiveFind(rules, b) })
}
