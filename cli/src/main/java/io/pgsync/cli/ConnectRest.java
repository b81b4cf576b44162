package io.pgsync.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The few calls of Kafka Connect's REST API the pgsync command makes. */
final class ConnectRest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    ConnectRest(String baseUrl) {
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    }

    /**
     * Creates the connector or updates its configuration ({@code PUT /connectors/<name>/config}).
     *
     * @throws IOException with Connect's message when it refuses (e.g. a validation error)
     */
    void put(String name, Map<String, String> config) throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(baseUrl + "/connectors/"
                + name + "/config")).timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(config))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new IOException("Kafka Connect refused connector " + name + " (HTTP " + response.statusCode()
                    + "): " + message(response.body()));
        }
    }

    /** The connector's status, or null when it does not exist. */
    JsonNode status(String name) throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(baseUrl + "/connectors/"
                + name + "/status")).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 404) {
            return null;
        }
        if (response.statusCode() >= 300) {
            throw new IOException("Kafka Connect answered HTTP " + response.statusCode() + " for the status of "
                    + name + ": " + message(response.body()));
        }
        return JSON.readTree(response.body());
    }

    /** The connector's configuration as stored (config provider references unresolved), or null when it does not exist. */
    Map<String, String> config(String name) throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(baseUrl + "/connectors/"
                + name + "/config")).timeout(Duration.ofSeconds(30)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() == 404) {
            return null;
        }
        if (response.statusCode() >= 300) {
            throw new IOException("Kafka Connect answered HTTP " + response.statusCode() + " for the config of "
                    + name + ": " + message(response.body()));
        }
        Map<String, String> config = new java.util.LinkedHashMap<>();
        JSON.readTree(response.body()).properties().forEach(e -> config.put(e.getKey(), e.getValue().asText()));
        return config;
    }

    /** The names of the connectors. */
    JsonNode connectors() throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(baseUrl + "/connectors"))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() >= 300) {
            throw new IOException("Kafka Connect answered HTTP " + response.statusCode() + ": "
                    + message(response.body()));
        }
        return JSON.readTree(response.body());
    }

    /** One line per task: its state, and the first line of its trace when it failed. */
    static String describe(JsonNode status) {
        if (status == null) {
            return "not deployed";
        }
        StringBuilder text = new StringBuilder(status.path("connector").path("state").asText());
        for (JsonNode task : status.path("tasks")) {
            text.append("; task ").append(task.path("id").asInt()).append(' ').append(task.path("state").asText());
            if (task.has("trace")) {
                text.append(": ").append(task.path("trace").asText().lines().findFirst().orElse(""));
            }
        }
        return text.toString();
    }

    private static String message(String body) {
        try {
            JsonNode node = JSON.readTree(body);
            return node.has("message") ? node.path("message").asText() : body;
        } catch (IOException e) {
            return body;
        }
    }
}
