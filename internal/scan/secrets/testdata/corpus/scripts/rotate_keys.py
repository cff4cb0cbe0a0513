import boto3

session = boto3.Session(
    aws_access_key_id="AKIA7Z6NSSSCESLAULIV",
    aws_secret_access_key="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",
    region_name="us-east-1",
)
iam = session.client("iam")

# The AWS documentation shows keys like these:
#   aws_access_key_id = AKIAIOSFODNN7EXAMPLE
#   aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
for key in iam.list_access_keys(UserName="ci")["AccessKeyMetadata"]:
    print(key["AccessKeyId"], key["Status"])
