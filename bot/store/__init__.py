"""What the bot keeps: the database engine, the models, migrations and the files it ships."""
