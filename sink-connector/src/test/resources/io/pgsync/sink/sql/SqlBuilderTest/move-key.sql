UPDATE "Sales"."order ""lines""" SET "order_id" = CAST(? AS int8), "line" = CAST(? AS int2) WHERE "order_id" = CAST(? AS int8) AND "line" = CAST(? AS int2)
