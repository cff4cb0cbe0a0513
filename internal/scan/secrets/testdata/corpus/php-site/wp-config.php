<?php
/** WordPress database settings */
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', 'wp_acme' );
define( 'DB_PASSWORD', 'm@tr1x-Autumn73' );
define( 'DB_HOST', 'mysql.acme.internal' );
define( 'DB_CHARSET', 'utf8mb4' );

define( 'AUTH_KEY',         'j#?nor(@n`j&=hMIR1b|g(J+P=BK#Bdr2f&FxgLkAqpWmyu#-6sali`>FHrp<*[Y' );
define( 'SECURE_AUTH_KEY',  'BS74]=prOm0{irQx+(-#cm`4rbA`v>wNC1^zJe|%@NiX}ioZQoyYS6>ByedURR00' );
define( 'LOGGED_IN_KEY',    'put your unique phrase here' );
define( 'NONCE_KEY',        'put your unique phrase here' );

$table_prefix = 'wp_';
define( 'WP_DEBUG', false );
