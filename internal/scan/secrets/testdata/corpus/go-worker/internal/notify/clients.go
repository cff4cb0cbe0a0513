package notify

import (
	"net/http"
)

const (
	telegramToken  = "7170900451:AADiR79BQ2uXncnvevDEycNdyUt7yZ0vR2P"
	discordWebhook = "https://discord.com/api/webhooks/209136656758112253/lS-twzWfDekFB7kfWWzGbABRLnucAuTB-f3j51vQDMvUJ59qi2LcvnFIeLppdaDHIjki"
)

func newRequest(url string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer tOFUABaYafz-Cmrz8UqjENiiJv0Efx7duB3cqrjT")
	req.Header.Set("X-Request-Id", "0c6f74f2-3d63-4c2a-a9cd-c3f73e45df14")
	return req, nil
}
