package io.pgsync.source;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.connect.components.Versioned;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.json.JsonConverterConfig;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.ConverterConfig;
import org.apache.kafka.connect.storage.ConverterType;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.pgsync.common.Version;
import io.pgsync.common.event.RowChange;

/**
 * Kafka's {@link JsonConverter} for the source connector's changelog, with its settings and its bytes, that writes
 * row changes without building Jackson's tree of each one. The source task converts every record on its one thread,
 * and Kafka's converter spent a third of that thread's time building and walking the tree of each row change; the
 * sink, any consumer and a JsonConverter read the records as before. Every other record (DDL, full-sync chunks,
 * transaction markers, a change left in Debezium's envelope) is written by the JsonConverter itself.
 *
 * <p>Set it as the source connector's {@code value.converter}, with the same {@code value.converter.*} settings as
 * the JsonConverter's: {@code schemas.enable=false} gives {@code {"op":"u","schema":"public","table":"accounts",
 * "columns":["aid","abalance"],...}}; {@code true} puts the same payload in {@code {"schema":{...},"payload":...}}.
 */
public final class ChangelogJsonConverter implements Converter, Versioned {

    private static final JsonFactory JSON = new ObjectMapper().getFactory();

    static {
        for (Field field : RowChange.SCHEMA.fields()) {
            Schema.Type type = field.schema().type();
            if (type != Schema.Type.STRING && type != Schema.Type.INT64 && !(type == Schema.Type.ARRAY
                    && field.schema().valueSchema().type() == Schema.Type.STRING)) {
                throw new IllegalStateException("ChangelogJsonConverter writes texts, numbers and lists of texts; "
                        + "teach it the type of field " + field.name() + " of " + RowChange.SCHEMA_NAME);
            }
        }
    }

    private final JsonConverter json = new JsonConverter();
    /** The row-change schema as the JsonConverter writes it in each record, or null without schemas. */
    private String schemaJson;

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        Map<String, Object> settings = new HashMap<>(configs);
        settings.put(ConverterConfig.TYPE_CONFIG, isKey ? ConverterType.KEY.getName() : ConverterType.VALUE.getName());
        settings.putIfAbsent(JsonConverterConfig.REPLACE_NULL_WITH_DEFAULT_CONFIG, false);
        json.configure(settings);
        schemaJson = new JsonConverterConfig(settings).schemasEnabled()
                ? json.asJsonSchema(RowChange.SCHEMA).toString() : null;
    }

    @Override
    public byte[] fromConnectData(String topic, Schema schema, Object value) {
        if (schema != RowChange.SCHEMA || !(value instanceof Struct change) || change.schema() != RowChange.SCHEMA
                || lacksRequired(change)) {
            return json.fromConnectData(topic, schema, value);
        }
        ByteArrayBuilder bytes = new ByteArrayBuilder(1024);
        try (JsonGenerator out = JSON.createGenerator(bytes)) {
            if (schemaJson != null) {
                out.writeStartObject();
                out.writeFieldName("schema");
                out.writeRawValue(schemaJson);
                out.writeFieldName("payload");
            }
            out.writeStartObject();
            for (Field field : RowChange.SCHEMA.fields()) {
                out.writeFieldName(field.name());
                write(out, change.get(field));
            }
            out.writeEndObject();
            if (schemaJson != null) {
                out.writeEndObject();
            }
        } catch (IOException e) {
            throw new SerializationException("Cannot write a row change of topic " + topic + " as JSON", e);
        }
        return bytes.toByteArray();
    }

    /** Whether a required field is null: the JsonConverter's refusal then names it. */
    private static boolean lacksRequired(Struct change) {
        for (Field field : RowChange.SCHEMA.fields()) {
            if (!field.schema().isOptional() && change.get(field) == null) {
                return true;
            }
        }
        return false;
    }

    /** A field of {@link RowChange#SCHEMA}: a text, a number or a list of texts, each possibly null. */
    private static void write(JsonGenerator out, Object value) throws IOException {
        if (value == null) {
            out.writeNull();
        } else if (value instanceof String text) {
            out.writeString(text);
        } else if (value instanceof Long number) {
            out.writeNumber(number);
        } else {
            out.writeStartArray();
            for (Object element : (List<?>) value) {
                if (element == null) {
                    out.writeNull();
                } else {
                    out.writeString((String) element);
                }
            }
            out.writeEndArray();
        }
    }

    @Override
    public SchemaAndValue toConnectData(String topic, byte[] value) {
        return json.toConnectData(topic, value);
    }

    @Override
    public ConfigDef config() {
        return JsonConverterConfig.configDef();
    }

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void close() {
        json.close();
    }
}
