Rails.configuration.stripe = {
  publishable_key: ENV["STRIPE_PUBLISHABLE_KEY"],
  secret_key: ENV.fetch("STRIPE_SECRET_KEY")
}

ShopifyAPI::Context.setup(
  api_key: ENV["SHOPIFY_API_KEY"],
  api_secret_key: ENV["SHOPIFY_API_SECRET"],
  host: "https://store.acme.io",
  is_private: true,
  private_app_access_token: "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"
)

Twilio.configure do |config|
  config.account_sid = "AC7cf87e96d89e584c05456bb6412a99c7"
  config.auth_token = "c70714d96369965b3d935d06353b1e4d"
end

MAILCHIMP = MailchimpMarketing::Client.new(api_key: "ea04b96babd59da91cccbff478d0d358-us21", server: "us6")
Rails.application.config.secret_key_base = "d392f542f0c2895f4ef7ba6871df1e699e8f152d3a8df6ca2539b2543ec2ad2e67bc35b99d6699e64e34a4f5b8ce40f98123dd0767dbbf8c2a0437e0f3deb538"
GITHUB_WEBHOOK_SECRET = ENV["GITHUB_WEBHOOK_SECRET"]
