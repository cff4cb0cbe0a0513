using SendGrid;

var builder = WebApplication.CreateBuilder(args);
var connectionString = builder.Configuration.GetConnectionString("Default");
var ordersApiKey = Environment.GetEnvironmentVariable("ORDERS_API_KEY");

builder.Services.AddHttpClient("inventory", c =>
{
    c.BaseAddress = new Uri("https://inventory.acme.internal/");
    c.DefaultRequestHeaders.Add("X-Api-Key", "71eeb9fb155e5d3c966405b98099ab66");
});
builder.Services.AddStackExchangeRedisCache(o => o.Configuration = "cache.acme.internal:6379,password=dvE8TEESH@AjuqLO7A!V5");
builder.Services.AddSingleton(new SendGridClient("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"));

var app = builder.Build();
app.MapGet("/health", () => Results.Ok());
app.Run();
