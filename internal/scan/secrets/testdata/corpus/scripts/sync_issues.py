import os

import requests

LINEAR_API_KEY = "lin_api_BcL1dEB9VR4A0NWvmOAsMTn9qTkS9e2GP3m1eDu1"
NOTION_TOKEN = "secret_3jej8Ru4uWA2pKklxSfYdkc6KZdHJzNc5avaPPQovl3"
JIRA_TOKEN = os.environ.get("JIRA_TOKEN", "")

headers = {"Authorization": LINEAR_API_KEY, "Content-Type": "application/json"}
resp = requests.post("https://api.linear.app/graphql", json={"query": "{ viewer { id } }"}, headers=headers)
resp.raise_for_status()

notion = requests.get(
    "https://api.notion.com/v1/users",
    headers={"Authorization": f"Bearer {NOTION_TOKEN}", "Notion-Version": "2022-06-28"},
)
print(notion.json())
