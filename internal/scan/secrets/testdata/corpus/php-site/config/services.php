<?php

return [
    'mailgun' => [
        'domain' => env('MAILGUN_DOMAIN'),
        'secret' => env('MAILGUN_SECRET'),
    ],
    'ses' => [
        'key' => env('AWS_ACCESS_KEY_ID'),
        'secret' => env('AWS_SECRET_ACCESS_KEY'),
    ],
    'recaptcha' => [
        'site_key' => '6LLEN6TT-0xE-bZUX3wTGUpixVUAytwVNk0xtDt5',
        'secret_key' => '6LznGdkVGp9B3zkBF5kYhvzgRegciA04DHAjyOma',
    ],
    'algolia' => [
        'app_id' => 'K7W3JQ9ZP2',
        'admin_key' => 'b61315e6f5e36f6ecd3ade303c866e13',
    ],
];
