"""Open311 GeoReport v2: other systems (the 12345 hotline, a media center's app, chat
bots) list the service menu, place orders and follow them, with county-issued keys."""
