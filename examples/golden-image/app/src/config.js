// Storefront service configuration.
// The keys below were pasted in "just for testing" and are what the
// pipeline's secret scan is there to catch.
const config = {
  region: 'us-east-1',
  bucket: 'storefront-assets',
  accessKeyId: 'AKIAUJZDEGXDNCF32EPF',
  secretAccessKey: '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',
  port: process.env.PORT || 8080,
};

module.exports = config;
