package secrets

import "testing"

var vcsCases = []ruleCase{
	{
		rule: "github-pat",
		tp: []string{
			`GITHUB_TOKEN=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`,
			`const token = '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';`,
			`git clone https://x-access-token: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@github.com/acme/api.git`,
		},
		fp: []string{
			`GITHUB_TOKEN=ghp_4EjeDeiuVIpgut0SeWuhoY6BTILMYa1SqQsS`,
			`GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`GITHUB_TOKEN=ghp_6R8Wn4fqLyoPpkJSE6ihzuATWeLUDV31Hkb`,
			`GITHUB_TOKEN=ghp_${{ secrets.GITHUB_TOKEN }}`,
		},
	},
	{
		rule: "github-oauth-token",
		tp: []string{
			`GITHUB_TOKEN=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`,
			`const token = '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';`,
			`git clone https://x-access-token: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@github.com/acme/api.git`,
		},
		fp: []string{
			`GITHUB_TOKEN=gho_BWzg9c2VjjFQtJqqM8RZNGJTFaeDla2jOUm8`,
			`GITHUB_TOKEN=gho_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`GITHUB_TOKEN=gho_EJZB6DedQitwBGccLwjp0atY4Bvv7m0LsQo`,
			`GITHUB_TOKEN=gho_${{ secrets.GITHUB_TOKEN }}`,
		},
	},
	{
		rule: "github-user-to-server-token",
		tp: []string{
			`GITHUB_TOKEN=ghu_XZw4zhN0BCwFrKtJb183gdGjLymFAc4gBMq3`,
			`const token = 'ghu_PcXhXZhhqJd56jwJlqOxRmNymoyxeI3u57Jv';`,
			`git clone https://x-access-token:ghu_FA1Slpfi9nYlbcKuthhkLZ81Klwyd72OCuuR@github.com/acme/api.git`,
		},
		fp: []string{
			`GITHUB_TOKEN=ghu_uDmMiIsvtvCSRIBcGaNZmMtt8JVCyL3Jav1j`,
			`GITHUB_TOKEN=ghu_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`GITHUB_TOKEN=ghu_dY6VXfbVLflgpjtZiNYPzBoumxdZao4PSLG`,
			`GITHUB_TOKEN=ghu_${{ secrets.GITHUB_TOKEN }}`,
		},
	},
	{
		rule: "github-installation-token",
		tp: []string{
			`GITHUB_TOKEN=ghs_POzSkp1GZeA4ZJNdZJ4uH9w47N1JmU0lWr1n`,
			`const token = 'ghs_H5ssukoZ7ouIwPFuAbXxKWgaqUF2ma0j6Tzp';`,
			`git clone https://x-access-token:ghs_EEGHwuH1Y9OQDEgwcCsSDQSiILct294BpJgW@github.com/acme/api.git`,
		},
		fp: []string{
			`GITHUB_TOKEN=ghs_YfgUZaQKVDGJS0dDcvoa5pAcgmMYYI13qq8b`,
			`GITHUB_TOKEN=ghs_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`GITHUB_TOKEN=ghs_hLdjtWQl3zSDK2Lcb3tqfcQokxAuKa0OOhg`,
			`GITHUB_TOKEN=ghs_${{ secrets.GITHUB_TOKEN }}`,
		},
	},
	{
		rule: "github-refresh-token",
		tp: []string{
			`GITHUB_TOKEN=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`,
			`const token = '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';`,
			`git clone https://x-access-token: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@github.com/acme/api.git`,
		},
		fp: []string{
			`GITHUB_TOKEN=ghr_qD2CY5M8HXKMA6CdNr7QyB1BWYNC5O3m6F56`,
			`GITHUB_TOKEN=ghr_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`GITHUB_TOKEN=ghr_ynLdXZMA8f5fNXrbJtdqqLa0w5XMej3C5q7`,
			`GITHUB_TOKEN=ghr_${{ secrets.GITHUB_TOKEN }}`,
		},
	},
	{
		rule: "github-fine-grained-pat",
		tp: []string{
			`GH_TOKEN=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`,
			`token: "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"`,
		},
		fp: []string{
			`GH_TOKEN=github_pat_KxQfJNrAsBl7vqOKf55Tw_HMg5HAeTT6W8FMlukobhWVt29pHrX551Q6Sd0cdiYdC6hW6OoSfjsM2tYk8`,
			`GH_TOKEN=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`,
			`GH_TOKEN=github_pat_xxxxxxxxxxxxxxxxxxxxxx_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
		},
	},
	{
		rule: "gitlab-pat",
		tp: []string{
			`GITLAB_TOKEN: "glpat-wpz1bbQxgS-FWHkyzieo"`,
			`export CI_TOKEN=glpat-YzoxCm86MXZ6Zwp1OjNsZW5n5Def0RO_Q4Do-wgZAsE0ZRA.1b0j90niy`,
			`curl --header 'PRIVATE-TOKEN: glpat-YzoxCm86eTlrCnU6NHIzeWbcHl34f11FND6Pm_FcimnyEA.1a0vy2ifi' https://gitlab.com/api/v4/user`,
		},
		fp: []string{
			`GITLAB_TOKEN=glpat-A0aLmBGWUpMa`,
			`GITLAB_TOKEN=glpat-YzoxCm86MXV2dQp1OjN0NDFs_zUdRxPTjipLMva2lIlkSRA.1b09x7dr9`,
			`GITLAB_TOKEN=glpat-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`GITLAB_TOKEN=glpat-<your-token>`,
		},
	},
	{
		rule: "gitlab-deploy-token",
		tp: []string{
			`GITLAB_TOKEN: "gldt-Af--p6En3rXCkJFU_PdY"`,
			`export CI_TOKEN=gldt-YzoxCm86aGwKdTozOXllctvfo8BQPJzXIq40FfbURXUQ.180qg72ig`,
			`curl --header 'PRIVATE-TOKEN: gldt-YzoxCm86NDI1CnU6MTNuY3RbBY53gxH7hC-2uxy8WWcTEA.1a0oiqerq' https://gitlab.com/api/v4/user`,
		},
		fp: []string{
			`GITLAB_TOKEN=gldt-kENhu5X1YclX`,
			`GITLAB_TOKEN=gldt-YzoxCm86Y2VwCnU6M3Y5ZnK2KFxn24mDwMjna0CPA3iIEA.1a1ntktt8`,
			`GITLAB_TOKEN=gldt-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`GITLAB_TOKEN=gldt-<your-token>`,
		},
	},
	{
		rule: "gitlab-runner-token",
		tp: []string{
			`GITLAB_TOKEN: "glrt-t1_viGpL4Ua-Y3HpF7v5GNX"`,
			`export CI_TOKEN=glrt-YzoxCm86MXlrNgp1OjV2M25p05UMZnGFuzjTm45ErZt2dxA.1b0zifxnt`,
			`curl --header 'PRIVATE-TOKEN: glrt-YzoxCm86NDdvCnU6NTBtbnifszyX_8E683kEUtXB_rbtEA.1a0s9w5fl' https://gitlab.com/api/v4/user`,
		},
		fp: []string{
			`GITLAB_TOKEN=glrt-LsGouZRInuQk`,
			`GITLAB_TOKEN=glrt-YzoxCm86MXFlOQp1OjN4eGs39xZmeDyCyCLbcrETM1dXlRA.1b1yfgdlh`,
			`GITLAB_TOKEN=glrt-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`GITLAB_TOKEN=glrt-<your-token>`,
		},
	},
	{
		rule: "gitlab-pipeline-trigger-token",
		tp: []string{
			`GITLAB_TOKEN: "glptt-91d946d21fce3edea6fbbd37e913e8ed1ba9e532"`,
			`export CI_TOKEN=glptt-YzoxCm86MTRhbQp1OjFuZTg1NA5OGPcwn-dZKTpenBFaYBA.1b1rpmxhx`,
			`curl --header 'PRIVATE-TOKEN: glptt-YzoxCm86MTNwNQp1OjQ1b3VwXhgR4OOCyd9FIJ6c16gfTRA.1b1dq1bdt' https://gitlab.com/api/v4/user`,
		},
		fp: []string{
			`GITLAB_TOKEN=glptt-79RNxzzPQiWT`,
			`GITLAB_TOKEN=glptt-YzoxCm86MWVwcgp1OjEzNXU0-bYFsbvEHIcTjr5Y6pJDURA.1b02qzsgf`,
			`GITLAB_TOKEN=glptt-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`GITLAB_TOKEN=glptt-<your-token>`,
		},
	},
	{
		rule: "gitlab-feed-token",
		tp: []string{
			`GITLAB_TOKEN: "glft-S0t2ItaYxiVFvkEmrQrM"`,
			`export CI_TOKEN=glft-YzoxCm86MjdtCnU6NnE1byuDrq5cy2vVDVnviHg-9XkQ.181t2pcnx`,
			`curl --header 'PRIVATE-TOKEN: glft-YzoxCm86MTg3cwp1OjVkNDRmpxn3iQaIBtwMWS6oc4WtCRA.1b0586vtx' https://gitlab.com/api/v4/user`,
		},
		fp: []string{
			`GITLAB_TOKEN=glft-BusUiz03fMVF`,
			`GITLAB_TOKEN=glft-YzoxCm86MWc3cQp1OjI0eXc0syQsjaVoupijoMofjZyvIxA.1b06ykwwd`,
			`GITLAB_TOKEN=glft-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`GITLAB_TOKEN=glft-<your-token>`,
		},
	},
	{
		rule: "gitlab-incoming-mail-token",
		tp: []string{
			`GITLAB_TOKEN: "glimt-QgNkkp_AB3UozaxjDi3dK7mbg"`,
			`export CI_TOKEN=glimt-YzoxCm86MWVzNQp1OjRlajl48EY3qgmVzFlXHscH07Ap-xA.1b1b6wa26`,
			`curl --header 'PRIVATE-TOKEN: glimt-YzoxCm86MXN5ZAp1OjR6bzcxh1qnITGA8Feaxn1CsXy9mBA.1b0u71gl9' https://gitlab.com/api/v4/user`,
		},
		fp: []string{
			`GITLAB_TOKEN=glimt-EhcGL3Go7Psz`,
			`GITLAB_TOKEN=glimt-YzoxCm86Nmp5CnU6MmpkMG4exekYzVC6ZV51jKoHc98BEA.1a0ken541`,
			`GITLAB_TOKEN=glimt-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`GITLAB_TOKEN=glimt-<your-token>`,
		},
	},
	{
		rule: "gitlab-agent-token",
		tp: []string{
			`GITLAB_TOKEN: "glagent-BirMk7asqU9kCwBSTCu3J507nLmnO88UJS4y7u3LXi_4pIdc-B"`,
			`export CI_TOKEN=glagent-YzoxCm86Mm04CnU6NWJuYnumgVtlncBTf0k2hLGyANwQ.181dkmuon`,
			`curl --header 'PRIVATE-TOKEN: glagent-YzoxCm86MTZ5MAp1OjM0dXFjNamhqbmbPYxUdUMa_-wQgxA.1b0tklgkg' https://gitlab.com/api/v4/user`,
		},
		fp: []string{
			`GITLAB_TOKEN=glagent-ndcqLKn64kN8`,
			`GITLAB_TOKEN=glagent-YzoxCm86cXlpCnU6MTg3c20VYo03CCYIdRL5-1XE5aLaEA.1a1ny4hlg`,
			`GITLAB_TOKEN=glagent-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`GITLAB_TOKEN=glagent-<your-token>`,
		},
	},
	{
		rule: "gitlab-ci-job-token",
		tp: []string{
			`GITLAB_TOKEN: "glcbt-64_NzWU9gkg6XfnmVAI-pK9"`,
			`export CI_TOKEN=glcbt-YzoxCm86MTJwYgp1OjR3bWJnDLqo5C_84JIhcP2lWn7soxA.1b0zkzskq`,
			`curl --header 'PRIVATE-TOKEN: glcbt-YzoxCm86MXJqYwp1OjRqcHdl3QulnFKZCn_WHxTC3iF1BhA.1b0nh2dvk' https://gitlab.com/api/v4/user`,
		},
		fp: []string{
			`GITLAB_TOKEN=glcbt-psc7Vccez8Ok`,
			`GITLAB_TOKEN=glcbt-YzoxCm86MWV2ZQp1OmQyeXb-LK54jLfbGqdA0TA1wVLeEA.1a1uz6j7e`,
			`GITLAB_TOKEN=glcbt-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`GITLAB_TOKEN=glcbt-<your-token>`,
		},
	},
	{
		rule: "gitlab-scim-token",
		tp: []string{
			`GITLAB_TOKEN: "glsoat-7Jy5inPxX9pO9gznE8_d"`,
			`export CI_TOKEN=glsoat-YzoxCm86b3ByCnU6ZnF2eAjTMKkljOU6Gv4-NUuVtPgQ.1806zmrxs`,
			`curl --header 'PRIVATE-TOKEN: glsoat-YzoxCm86MW8wagp1OnNzeXWnIMqjK2vvSGCUDaa0X9FVEA.1a1d37n8o' https://gitlab.com/api/v4/user`,
		},
		fp: []string{
			`GITLAB_TOKEN=glsoat-TWY3pALaXFIA`,
			`GITLAB_TOKEN=glsoat-YzoxCm86MWEweAp1OjFlZHV1p4c4LJEyiS3Ps3_VT5AYyhA.1b0hevcyv`,
			`GITLAB_TOKEN=glsoat-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`GITLAB_TOKEN=glsoat-<your-token>`,
		},
	},
	{
		rule: "gitlab-oauth-app-secret",
		tp: []string{
			`GITLAB_TOKEN: "gloas-ad786df8143e01f4d482fa53297c6fdb78c2b56acf56a263640aeec53fdce339"`,
			`export CI_TOKEN=gloas-YzoxCm86MXRldwp1OjVnNjA1ZiJqkvPhJlgmnsFBJv_gJBA.1b1g1isfx`,
			`curl --header 'PRIVATE-TOKEN: gloas-YzoxCm86MXlpdgp1OjFkOG8z9k8TJ6MZ2mjRc9etteb35BA.1b02idvx1' https://gitlab.com/api/v4/user`,
		},
		fp: []string{
			`GITLAB_TOKEN=gloas-Nbg7IfSeYIYx`,
			`GITLAB_TOKEN=gloas-YzoxCm86MjJnNAp1OjQ0cHJ6azUQYtGXEBoqU-PYoL0nRBA.1b061eaji`,
			`GITLAB_TOKEN=gloas-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`GITLAB_TOKEN=gloas-<your-token>`,
		},
	},
	{
		rule: "gitlab-feature-flags-token",
		tp: []string{
			`GITLAB_TOKEN: "glffct-i6CodjNQs2V55jE0JY90"`,
			`export CI_TOKEN=glffct-YzoxCm86MjNlcQp1OjVtOGUzeX6oCfQxjatvxbIm_8rUZBA.1b0m4hj3f`,
			`curl --header 'PRIVATE-TOKEN: glffct-YzoxCm86MXVvcgp1OjFybXRqTIdn8_zSNkvBxr7Z4BWlGRA.1b0c1gwhy' https://gitlab.com/api/v4/user`,
		},
		fp: []string{
			`GITLAB_TOKEN=glffct-uD8Zvikdvw5F`,
			`GITLAB_TOKEN=glffct-YzoxCm86d2kyCnU6M202emQGdBVs1uel2ILqLdx_Bq34EA.1a1n4qpcf`,
			`GITLAB_TOKEN=glffct-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`GITLAB_TOKEN=glffct-<your-token>`,
		},
	},
	{
		rule: "gitlab-runner-registration-token",
		tp: []string{
			`sudo gitlab-runner register --registration-token GR13489412J2NV9w1aYhesi33Kzow`,
			`REGISTRATION_TOKEN="GR134894175wBaZN70gQgsqNDpnMO"`,
		},
		fp: []string{
			`REGISTRATION_TOKEN=GR1348941WaXTJeEl9wetKMO44px`,
			`REGISTRATION_TOKEN=GR1348942RWPMknFZ2jEMCzNYLV3J`,
			`REGISTRATION_TOKEN=GR1348941aaaaaaaaaaaaaaaaaaaa`,
		},
	},
	{
		rule: "bitbucket-app-password",
		tp: []string{
			`BITBUCKET_APP_PASSWORD=ATBBRjAcOndwmFpDNzFzB7uLmvALD4viDH6P`,
			`git clone https://dev:ATBBCZFU2ci5KnFt9EMdHZxLE32LBaPhlcfd@bitbucket.org/acme/api.git`,
		},
		fp: []string{
			`BITBUCKET_APP_PASSWORD=ATBBcItgVkjARoLKBOMs9LtZi5ZzdAoTj7d`,
			`BITBUCKET_APP_PASSWORD=ATBBYOTtBkMxOYOoDPod2kIOUnjNo0YIloDFk`,
			`BITBUCKET_APP_PASSWORD=ATBBxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
		},
	},
	{
		rule: "bitbucket-app-password-legacy",
		tp: []string{
			`BITBUCKET_APP_PASSWORD=mt2tTgHkAb9pINqf1AEd`,
			`  bitbucket_token: "UAXSqB8FIuUQVHmoSLgW"`,
		},
		fp: []string{
			`BITBUCKET_APP_PASSWORD=PZToHhbC7b6hAlbEMQm`,
			`password = "GqP0q58XnjjjJru3dXkJ"`,
			`BITBUCKET_APP_PASSWORD=$BB_PASS`,
		},
	},
	{
		rule: "atlassian-api-token",
		tp: []string{
			`JIRA_API_TOKEN=ATATT3xFfGF0ybDTUMb0dvSDe75Iy9O9leMQzNJvWPcL06ZqqPZ_FTrkIMIFqwZ95_9n5TOfSFNRzK3zp6h8Fzh_IbvS28nMKaCjKoUO0uJpLj5gvdQOWmhJVe4QgbyTI24WfTBHhZP-6LMGac1m426DSDpU_QO7kWBD12dgih-x8sn27oKj30H=5419CF81`,
			`auth = ('ops@acme.io', 'ATATT3xFfGF0f6FMeSHMSDvm_aoa6vQQHyDjVDpAxcRVCOTZBrIwheem2Lu2KdZ_USZ8YdmvCG9ehhG5DlLbWF2MsiEFEpFjqaeOe-2z_kCR37kH0iPLkPjIPJClijYClXVuvQdJHIt0sk6PRNl4IBP8ysW0sKz3PIqxWqf3enxnj8mJJHS3A5J=37F13FC8')`,
		},
		fp: []string{
			`JIRA_API_TOKEN=ATATT3xFfGF04yNLVwhxl9eK4c-Ru4urylTt8of2XegoQA9C_T3kdpNQOVVkPGdRn2HvlaXw2EGiFfHJmvaeLJ2HdL6NHWBNj86fgvw1SE3OnBP4KW53D_sn_pojDX1nzx7csYqRX5TSUj2SVhdmszydV8Qb7wLF4qIhyz5WS4-MeRbo4zgOD9=D9933001`,
			`JIRA_API_TOKEN=ATATT3xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`JIRA_API_TOKEN=ATATT441OzUWitJMT7x7AhtmHcPUYrcFTRgJsP4uPQLgF4sWZnWNCRwAhOaaosZlBBXZ1pSebtfudEgCcHPjS4MqgAdR7kl8F96nDTk4nuYhyUD1ZQR1o4wl3qoj9nZeXcdyLc6BVGTFEuLlB1IhtaAV86PmMSEUpM2oHYtwF6Ev0OCOHwYC7v5HFPA5RJlI`,
		},
	},
	{
		rule: "npm-token",
		tp: []string{
			`//registry.npmjs.org/:_authToken=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`,
			`NPM_TOKEN=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`,
		},
		fp: []string{
			`NPM_TOKEN=npm_u0iSjSi28hZ2NlBs4BbcGB1gX0zhvO0iKvjo`,
			`NPM_TOKEN=npm_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`NPM_TOKEN=npm_FUHEszsiLbHxP5qJVKKmfvBBemViX02ck7`,
		},
	},
	{
		rule: "npmrc-auth-token",
		tp: []string{
			`//npm.corp.internal/repository/npm-private/:_authToken=LcFo54TUT2QYEU0IkGteHFGBiSjN9UDsZU2nSJc6`,
			`  npmAuthToken: "bYxUyvqPMjoH1kOK3iIwaTh0PuvkDCtR94HO"`,
			`_authToken=NpmToken.7XHAbrr8hxuE4ny0MYx6v89b3Emp5g98`,
		},
		fp: []string{
			`//registry.npmjs.org/:_authToken=${NPM_TOKEN}`,
			`//registry.npmjs.org/:_authToken=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`,
			`config._authToken = process.env.NPM_TOKEN`,
			`//registry.npmjs.org/:_authToken=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
		},
	},
	{
		rule: "npmrc-basic-auth",
		tp: []string{
			`_auth=ZGVwbG95Ok9NcmRDTXpDeXY4Y0dqbjdHTg==`,
			`//npm.corp.internal/:_auth=Y2ktYm90OjYzODFYUVJQTU5zMzVXa0I=`,
		},
		fp: []string{
			`_auth=${NPM_AUTH}`,
			`_auth=bm9jb2xvbmhlcmUtYXQtYWxs`,
			`_auth=dXNlcjo=`,
			`_auth=0FlhqQFO/k6Q0u8M64WVbykOVWdd3FLW`,
		},
	},
	{
		rule: "npmrc-password",
		tp: []string{
			`//npm.corp.internal/repository/npm/:_password=WFNFMWJsenhMMHA5TzU1cw==`,
			`_password=UVI3aGtVN1gwaHVVWTE=`,
		},
		fp: []string{
			`_password=${NPM_PASSWORD}`,
			`//npm.corp.internal/:_password=hFEjnr0SsUtxdhWjcwYsAioE`,
			`_password=cHc=`,
		},
	},
	{
		rule: "pypi-token",
		tp: []string{
			`[pypi]
  username = __token__
  password = pypi-AgEIcHlwaS5vcmcCL3sibm9uY2UiOiAiOTNlZDI4Yjc2N2JjNjBkOWU0OTgiLCAidmVyc2lvbiI6IDF9AAIleyJwZXJtaXNzaW9ucyI6ICJ1c2VyIiwgInZlcnNpb24iOiAxfQAABiC_PkZCPQ2SFMkRInSKW3DxitzWLYgELQRdoVRLdIHnIg`,
			`TWINE_PASSWORD=pypi-AgEIcHlwaS5vcmcCL3sibm9uY2UiOiAiMzQ2MmFjZThhZGEyN2QyM2QwZDkiLCAidmVyc2lvbiI6IDF9AAIleyJwZXJtaXNzaW9ucyI6ICJ1c2VyIiwgInZlcnNpb24iOiAxfQAABiDeG9FaermGW-UbHVfp0XQsQwyI0lgQLX5IxA5gQcMdIw`,
		},
		fp: []string{
			`TWINE_PASSWORD=pypi-AgEIcHlwaS5vcmcCj8IjU9xZ23u6j-AVpXseh_ZhBXU1B39zLyaCrZvmfHK41u2IAjqTEn4bT9N-XNbUbzT_X8X0WYYagDfMnIjPARueNteyqUcgNiTkrlTsurGooLcPgx_8r-22v7aSiX8yqrUxWKexmWoKTJLIy9m3oEkR8c3wghbdoOCHzw`,
			`TWINE_PASSWORD=pypi-AgEIcHlwaS5vcmcvmAkn7HSbXn2qN9wxIfn`,
			`TWINE_PASSWORD=pypi-AgEIcHlwaS5vcmcCL3sibm9uY2UiOiAiMGQzZjVhYWEyYzQ2ZGNmZGI3YjgiLCAidmVyc2lvbiI6IDF9AAIleyJwZXJtaXNzaW9ucyI6ICJ1c2VyIiwgInZlcnNpb24iOiAxfQAABiA121_fyCcqjGRuRnR_aTcGWqPujv67v45m`,
		},
	},
	{
		rule: "pypi-test-token",
		tp: []string{
			`password = pypi-AgENdGVzdC5weXBpLm9yZwIveyJub25jZSI6ICI0MzMyOGIxMjU1OWY5Yzk0NTBjOSIsICJ2ZXJzaW9uIjogMX0AAiV7InBlcm1pc3Npb25zIjogInVzZXIiLCAidmVyc2lvbiI6IDF9AAAGIGT_EP4AbhKMKT5zp-6XRX31iF1Au-PJmMj7Di39R2Ry`,
			`TEST_PYPI_TOKEN=pypi-AgENdGVzdC5weXBpLm9yZwIveyJub25jZSI6ICIxMDI4ZDMzZmJmNmM0ZWUwMTk3ZiIsICJ2ZXJzaW9uIjogMX0AAiV7InBlcm1pc3Npb25zIjogInVzZXIiLCAidmVyc2lvbiI6IDF9AAAGIPe5I0LnJT1qwXkXYr0Coe-Vzi9Z11iQbJ-CYuvTJyWy`,
		},
		fp: []string{
			`TEST_PYPI_TOKEN=pypi-AgENdGVzdC5weXBpv1Qz3m18UEbEllHYYPfrR8cgjqaPgOgAgz6207zuQ6YmfpnNgwX3Mqdx2np258zGKy3uuDU7WU0QzgAckR1oIQqTlUtl0vBYa7q4uDlKuacs1AYD9YopXvzdP-lFrIqVNmww4aq6CH_dXRelo5yBbUpPOGZQRassZ7dii4lThsC6`,
			`TEST_PYPI_TOKEN=pypi-AgENdGVzdC5weXBpLm9yZwUyZdn7SkWs6QDPjYNr2WAOa7HqMFD7`,
		},
	},
	{
		rule: "nuget-api-key",
		tp: []string{
			`dotnet nuget push pkg.nupkg --api-key oy26d122cgzpx8x61zetuylt2j873z3dkp0lwcj84curm4 --source https://api.nuget.org/v3/index.json`,
			`NUGET_API_KEY=oy2kbgjpjbqdhfeqiwff6ltj9u5roxchwo8dgru2tljmcz`,
		},
		fp: []string{
			`NUGET_API_KEY=oy2byvvy9isk5sc0izdy02t53ab6h36nfr5kgy7mu5x5c`,
			`NUGET_API_KEY=oy2NHP7L287997SQPG0Z9YCN6F3JQCPE5HYO6QTJ9KS7M3`,
			`NUGET_API_KEY=oy2aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa`,
		},
	},
	{
		rule: "rubygems-api-key",
		tp: []string{
			`GEM_HOST_API_KEY=rubygems_d8ca1d898884036240a5f25f0d2befb9ce8774f30e7c75e4`,
			`:rubygems_api_key: rubygems_4b5a9f2203cdf6c211ff137b84bc3792ddadfb42aa65f763`,
		},
		fp: []string{
			`GEM_HOST_API_KEY=rubygems_67dc7776f238c0160743a4dfe387ba7642ba9f964030013`,
			`GEM_HOST_API_KEY=rubygems_mllimmlhmllglnjglhjiijljhgnjhhhjngkgjnjjkninikkl`,
			`GEM_HOST_API_KEY=rubygems_000000000000000000000000000000000000000000000000`,
		},
	},
	{
		rule: "dockerhub-token",
		tp: []string{
			`echo dckr_pat_5y5C6B64cIyJbwt6X_-cq-xlKkl | docker login -u ci --password-stdin`,
			`DOCKERHUB_TOKEN=dckr_oat_BXR3Xkbm8azAufzLUROsE7tWT9d`,
		},
		fp: []string{
			`DOCKERHUB_TOKEN=dckr_pat_uur9FjHEMiDPkPEmYpXS3PXLYV`,
			`DOCKERHUB_TOKEN=dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`DOCKERHUB_TOKEN=dckr_xyz_e5lJIWtQFvHDLKk6ttfXtnUy5fS`,
		},
	},
	{
		rule: "docker-config-auth",
		tp: []string{
			`{
  "auths": {
    "registry.corp.io": {
      "auth": "ZGVwbG95OjdiMVdGNmhpQk9XYUpPQ21HYnA2cWlzbA=="
    }
  }
}`,
			`{"auths":{"https://index.docker.io/v1/":{"auth":"b2N0bzpkY2tyX3BhdF9qdXdCa000T09BZkNwdWdFMHZDaW9QTzQzMTE="}}}`,
		},
		fp: []string{
			`"auth": "bm9jb2xvbi1pbi10aGlzLW9uZQ=="`,
			`"auth": "dXNlcjo="`,
			`"auth": ""`,
			`"auth": "OnBhc3N3b3JkMTIz"`,
		},
	},
	{
		rule: "jfrog-api-key",
		tp: []string{
			`ARTIFACTORY_API_KEY=AKCp1y09NkDfRrp58dag5IkmLYx3VhojJN0LDvytQDKPt6t0D1HGZpGXM1H5gOEMejesWbB7y`,
			`curl -H 'X-JFrog-Art-Api: AKCp8QCuRFjemtf8iOcFNHUJHXXJXvbYEbn5q89fmhlSzueCnpEJri7UyCa3yHK2rEyDiof1h' https://acme.jfrog.io/artifactory/api/repositories`,
		},
		fp: []string{
			`ARTIFACTORY_API_KEY=AKCpfcESe4918n722oAeZsc2XcbiG8gR6MhoBjdiLPH5bdlR5qUhnfoDapiTcK6cx9mR0M87`,
			`ARTIFACTORY_API_KEY=AKCpxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
			`ARTIFACTORY_API_KEY=AKCp0HoUrrtwmhrkxqlQT44tH45mbRMbFzXpJ7jg2mre1Ltq9RiEAX21kOE2PBNXM2MagcJtCc`,
		},
	},
	{
		rule: "jfrog-reference-token",
		tp: []string{
			`JFROG_ACCESS_TOKEN=cmVmdGtuOjAxOjE3MzU2ODk2NTU6bXRKUjR1Z0FWUlcxRjVGeHJWYVZhRWVmMWNF`,
			`Authorization: Bearer cmVmdGtuOjAxOjE3MzU2ODk2NTg6UmdDTVJuTHpFWGpLRksyZUZGZURTUHpCZTlJ`,
		},
		fp: []string{
			`JFROG_ACCESS_TOKEN=cmVmdGtukFJAPIpHxkSiMnOlKX6aE6dTgvZRknQXkW5U9jhJ9tZn5tQNzGPABPLh`,
			`JFROG_ACCESS_TOKEN=cmVmdGtuOjAxOjE3MzU2ODk2NzM6UVFzeVlTS3lkZExTODNCdGVnMUJudzNh`,
		},
	},
	{
		rule: "circleci-personal-token",
		tp: []string{
			`CIRCLE_TOKEN=CCIPAT_j80SMvLWJTKT4fPafkjOFN_a80533e61ffeb53b2dc6143e2dc95ff50fa346cb`,
			`'Circle-Token': 'CCIPAT_R2wJBniuK3Z3sn2VVFMzzC_c07b5f1e1a70ec8187c831c1e6c065030ca1d359'`,
		},
		fp: []string{
			`CIRCLE_TOKEN=CCIPAT_gdAhhEn28VQTFpDLjMoEF_e9d3a9d4b360f496586009fa43f3e8fdb5cf9b46`,
			`CIRCLE_TOKEN=CCIPAT_hV7VSGfjkU2AX9E4S6VGPg_f5cf52bd92de56ede9eb88d9c1e40a8ae9d9821`,
			`CIRCLE_TOKEN=CCIPAT_...`,
		},
	},
	{
		rule: "circleci-project-token",
		tp: []string{
			`CIRCLE_TOKEN=CCIPRJ_wEEVbxYGSCqumXLeL06waY_1b23e133f1bd69f1d0cf078741155ba6fd2eabc7`,
			`'Circle-Token': 'CCIPRJ_HmTiTWhKFEKiMYPSxr1KjL_5474654ed5fe76ce596d7960f2b38dc108486446'`,
		},
		fp: []string{
			`CIRCLE_TOKEN=CCIPRJ_Tn7HmBSjv6NEWzGeshUsc_f39135e51e49debf04e7e69c48bd789f48990ae7`,
			`CIRCLE_TOKEN=CCIPRJ_KK8teQFJQPm54GTdsR50ii_05be104cbb050d13f68a54baa37cf96a08c6d6f`,
			`CIRCLE_TOKEN=CCIPRJ_...`,
		},
	},
	{
		rule: "travis-ci-token",
		tp: []string{
			`TRAVIS_API_TOKEN=RXRMsET_3Sj5iBV7Iac6Tj`,
			`travis_token: "F5KcSiqffunYCbBEL2UaAa"`,
		},
		fp: []string{
			`TRAVIS_API_TOKEN=yW1ExkpMcq5B44phsjB3X`,
			`TRAVIS_API_TOKEN=aaaaaaaaaaaaaaaaaaaaaa`,
			`token = "g1w46g4lmWNMxQXhHI13r3"`,
		},
	},
	{
		rule: "buildkite-api-token",
		tp: []string{
			`BUILDKITE_API_TOKEN=bkua_dafb2c9efe80ff5cd272aa83d195361dbd13d1da`,
			`Authorization: Bearer bkua_b4e5630fac8f6d9d92241c276ff0d9a37288137f`,
		},
		fp: []string{
			`BUILDKITE_API_TOKEN=bkua_a656da7bc55de46f024d57fe6e9bf173c3a84c1`,
			`BUILDKITE_API_TOKEN=bkua_F18702884E9EE08685BCECEC96768D4AD29FDA9F`,
			`BUILDKITE_API_TOKEN=bkua_0000000000000000000000000000000000000000`,
		},
	},
	{
		rule: "sonarqube-user-token",
		tp: []string{
			`SONAR_TOKEN=squ_90c7aa99a1b2a00de01ae89bcb37bfb263222182`,
			`sonar-scanner -Dsonar.token=squ_db393a55de6a77e7154d60e869045c740c59072c`,
		},
		fp: []string{
			`SONAR_TOKEN=squ_411534ec54002eaceb5b9cc2c25adb86a8e0165`,
			`SONAR_TOKEN=squ_gmnngmlglhghikhgiljjhngggjlgngkihmhiljlj`,
			`SONAR_TOKEN=squ_ffffffffffffffffffffffffffffffffffffffff`,
		},
	},
	{
		rule: "sonarqube-project-token",
		tp: []string{
			`SONAR_TOKEN=sqp_c889e80e983efd560ef5a1bdd68f84fe5c67b94f`,
			`sonar-scanner -Dsonar.token=sqp_54bff2808a954e788059f0621265c5b1abaccad0`,
		},
		fp: []string{
			`SONAR_TOKEN=sqp_4f5f6aa4f488568dc9a1d28c71f52447be8dd8b`,
			`SONAR_TOKEN=sqp_njkhjlkghnmlhnljmmnnljjnjmgjgljnljimlmgg`,
			`SONAR_TOKEN=sqp_ffffffffffffffffffffffffffffffffffffffff`,
		},
	},
	{
		rule: "sonarqube-global-token",
		tp: []string{
			`SONAR_TOKEN=sqa_76f2ee20c600a180925d657d34039c9fe42c7a81`,
			`sonar-scanner -Dsonar.token=sqa_d79f7ee28746a81ed39540efa2b9fd233256d14f`,
		},
		fp: []string{
			`SONAR_TOKEN=sqa_b16e49edb5d6f38103c3ec41bfe6e9cf308813d`,
			`SONAR_TOKEN=sqa_kgngnlkkgmihhmnkkkmjllkhihilmmlhjnijilgl`,
			`SONAR_TOKEN=sqa_ffffffffffffffffffffffffffffffffffffffff`,
		},
	},
	{
		rule: "snyk-api-token",
		tp: []string{
			`SNYK_TOKEN=dc333bdb-0aeb-4dfd-a4ca-984d37a7fb39`,
			`snyk auth 65c5670d-fd62-4650-a08c-1961c60c9524`,
			`  snyk_api_key: "b092f6f5-98e3-4741-a107-001bf6491a5e"`,
		},
		fp: []string{
			`SNYK_ORG_ID=17e0c445-832e-45b2-a9c4-0af7c65594b7`,
			`SNYK_TOKEN=${{ secrets.SNYK_TOKEN }}`,
			`SNYK_TOKEN=00000000-0000-0000-0000-000000000000`,
		},
	},
	{
		rule: "codecov-token",
		tp: []string{
			`CODECOV_TOKEN=55f7b70c-e49e-4691-aab2-8dcae2ca9e31`,
			`  codecov_token: 78d0fb72-f1fb-4c12-ac59-34bda3ab4bd7`,
		},
		fp: []string{
			`CODECOV_TOKEN=${{ secrets.CODECOV_TOKEN }}`,
			`CODECOV_SLUG=67335eca-d991-45dd-a977-3d05383dc393`,
			`CODECOV_TOKEN=ce8d5df0-53eb-4aee-ac8c-86dff499b52`,
		},
	},
	{
		rule: "bitrise-token",
		tp: []string{
			`BITRISE_TOKEN=psVLAYgm6wtWFJ45Pe_voo3MeY5B-OU7IVtJ57gLNP-_t2OJj5GOJIJ23aVkfLgYGTYyvYIZ_xDsnYzBHjHmho`,
			`bitrise_pat = "fNeqQRWM00zTboOV3PYaYvMNJNT8RNKlIOBz4X8R293cDiMzv0FR6KEqLGXeZtBurhbOLM59LJDFbud7eDwuDl"`,
		},
		fp: []string{
			`BITRISE_TOKEN=Z4vLZog63trhFuPe3HH3tdEkx1ohZqRZQEb4moO2l4zvozbtUCF4nDUOAdSjMNNSqPAYPtaaVDPbYy9OWn5Qi`,
			`BITRISE_APP_SLUG=f0681b13c1419def`,
			`BITRISE_TOKEN=ababababababababababababababababababababababababababababababababababababababababababab`,
		},
	},
	{
		rule: "octopus-deploy-api-key",
		tp: []string{
			`OCTOPUS_API_KEY=API-B2J6UFJ7DS14ITHL804XHN43QT`,
			`Octopus.Client -ApiKey 'API-UJA89A25PRLX9IWGPUATAIKV8L'`,
		},
		fp: []string{
			`OCTOPUS_API_KEY=API-X0WKXD8R6R7XLVGR4T72C4EWJ`,
			`OCTOPUS_API_KEY=API-MISMTTRSFPMEBGWAHJMRJSSNWZ`,
			`X-API-KEY=pWjdqfWuPnNF1IEbbFmcjQLcko`,
			`OCTOPUS_API_KEY=API-YHG2TEOFE6OHMNLNQ7IKP8HQ0VJ`,
		},
	},
	{
		rule: "jenkins-api-token",
		tp: []string{
			`JENKINS_API_TOKEN=112947d2f5f3a437a92ae562eae13b4065`,
			`  jenkins_token: '1179bfa0789f2aa2a836a3b1d5f7f4a44f'`,
		},
		fp: []string{
			`JENKINS_API_TOKEN=12dd07b8364e0c4cebececd2fe427a13d7`,
			`JENKINS_API_TOKEN=116d2c3d42a28a21ae4f6c23b17d08c9a`,
			`token = "1194713367979d3d3c40e05632e082b8e3"`,
		},
	},
	{
		rule: "harness-pat",
		tp: []string{
			`HARNESS_API_KEY=pat.3U5P403HS_ujMMsU8RuimQ.8a8c36e340d81ab1cc6937fd.8pzMuKAvPLL8lsj76AKM`,
			`x-api-key: pat.4KQ91lCNZ0TP4ikctQdskt.0607a6f6a38d94c19f69471c.q0yp6h5txDjM23f7PTZX`,
		},
		fp: []string{
			`HARNESS_API_KEY=pat.dPcyENC7BOPlx2Ay2n7dj.25f8aa0ccc4c39b01e6d2eea.QYz3OZBVaqVR2PsNiUSz`,
			`HARNESS_API_KEY=pat.wzIarDvgkAPpHSkFJauWwh.e4621e7ad9c7de4351ee467e.0cQZf9swCwgG58qjGi8`,
			`pat.Match(path)`,
		},
	},
	{
		rule: "harness-sat",
		tp: []string{
			`HARNESS_API_KEY=sat._Zn4mXssrMHhRr_LaqUzqq.a8e4622e7270963fc273b824.KvVnttjvZ4NbPPozj9z4`,
			`x-api-key: sat.Da0jjGvVMALpyVRCNzGpKE.9d424576c1abd96edcc21b9e.RRa66TPvnjzzz3Fy1nbw`,
		},
		fp: []string{
			`HARNESS_API_KEY=sat.Bm7SUCwBINjRZKKnV7Jf4.cb94c834aa26dece91e70188.h73S6FbrdawswfPyd3qq`,
			`HARNESS_API_KEY=sat.BkkmxJxoqGYsUjT0IxyoVi.c06b50b690326c57302b00e6.Ry0jSEq6F2AVoWR4OFD`,
			`sat.Match(path)`,
		},
	},
	{
		rule: "drone-token",
		tp: []string{
			`DRONE_TOKEN=917uHxU8tPKy0AfffeFCafkK7SnaUF1Q`,
			`drone_api_token: "G7Ta8mDS67nAUSTBgTsyBY2SMcIYH5rs"`,
		},
		fp: []string{
			`DRONE_TOKEN=9N0DQjWFGBGkRN7x2M2eZwN5rzun8xa`,
			`DRONE_SERVER=https://drone.corp.io`,
			`DRONE_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
		},
	},
	{
		rule: "gitea-token",
		tp: []string{
			`GITEA_TOKEN=a719dc862ad4901e00dfef80d39ed1f6709b0677`,
			`forgejo_access_token = "2916102d5e369e028388c88ed84f10b4b5d51130"`,
		},
		fp: []string{
			`GITEA_TOKEN=359818c74eb5f4e670c36b14f3efbbefd62c38d`,
			`commit = "5851ea839c08273c6074fa0ba962d1fc38b99620"`,
			`GITEA_TOKEN=CE7991D0B56E7C41384FEC3DAAF4CE004B123390`,
		},
	},
}

func TestVCSRules(t *testing.T) {
	rules := compiledRules(t)
	checkCases(t, vcsCases, func(b []byte) []Match { return naiveFind(rules, b) })
}
