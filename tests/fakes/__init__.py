"""Local stand-ins for the providers: a fake Twilio REST server and an SMTP sink."""
