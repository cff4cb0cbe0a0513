cd ~/src/shop-api
git pull --rebase
export GITHUB_TOKEN=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
gh pr list
gh auth status --show-token
export GH_TOKEN=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
export OPENAI_API_KEY=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
python scripts/summarize.py --since 7d
docker login -u acmeci -p dckr_pat_32FT7WHt_sT-Ty87AAnWo7DSLxv docker.io
ssh -i ~/.ssh/id_ed25519 deploy@bastion.acme.internal
history | grep password
