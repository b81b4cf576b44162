DELETE FROM "Sales"."order ""lines""" AS d USING unnest(CAST(? AS text[]), CAST(? AS text[])) AS u(c0, c1) WHERE d."order_id" = CAST(u.c0 AS int8) AND d."line" = CAST(u.c1 AS int2)
