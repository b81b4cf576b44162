CREATE TABLE IF NOT EXISTS "Sales"."order ""lines""" ("order_id" int8 NOT NULL, "line" int2 NOT NULL, "select" text[], PRIMARY KEY ("order_id", "line"))
