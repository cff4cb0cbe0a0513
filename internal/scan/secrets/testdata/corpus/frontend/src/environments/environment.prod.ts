export const environment = {
  production: true,
  apiUrl: 'https://api.acme.io',
  mapboxToken: 'pk.eyJ1IjoiYWNtZS1tYXBzIiwiYSI6ImN3MW15djZyeDZ3NTVjNmhsb3Rlb3Y5ancifQ.U7FXidh58TyqVpj6VkGbte',
  sentryDsn: 'https://6e40aa8a834faf93199e2cdcbc218ec6@o250204.ingest.sentry.io/9391678',
  googleClientId: '336952796864-ss3osi8uy0tdpukzy4eofoma29ydpqtd.apps.googleusercontent.com',
  stripePublishableKey: 'pk_live_510qqqp3NtKP3KxdX2llDRtohJZ1yaFyxyLiOxBE3vOblLZMK6g2uhVGIOFYukPyEOFC72Cy00MjtJsLgGnI5hD1ZLHMjMfoyz7',
  adminApiKey: 'XxqVIQnyFkbOGLKpzNBWbNLWsnmZqbxX',
};
