DELETE FROM "Sales"."order ""lines""" WHERE "order_id" = CAST(? AS int8) AND "line" = CAST(? AS int2)
