package io.mingus.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * The one JSON configuration of the server: snake_case fields, ISO-8601 dates, enums as lower-case
 * labels, and strict reading (unknown fields, wrong types, trailing tokens and nulls for numbers
 * are refused instead of guessed at).
 */
final class Json {
  private Json() {}

  static ObjectMapper mapper() {
    SimpleModule labels = new SimpleModule("mingus-labels");
    labels.addSerializer(Enum.class, new LowerCaseEnum());
    labels.addDeserializer(LocalTime.class, new TimeOfDay());
    // buffers recycled through a shared, bounded pool: the default keeps them per thread, and every request
    // runs on a virtual thread of its own, so each would allocate a new set
    JsonFactory factory = JsonFactory.builder().recyclerPool(JsonRecyclerPools.sharedBoundedPool()).build();
    ObjectMapper mapper = JsonMapper.builder(factory)
        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .addModule(new JavaTimeModule())
        .addModule(labels)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
        .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();
    // "user_id": "12" or "message": 12 are wrong types, not values to convert
    mapper.coercionConfigFor(LogicalType.Textual)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    mapper.coercionConfigFor(LogicalType.Integer)
        .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
    mapper.coercionConfigFor(LogicalType.Boolean)
        .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
    return mapper;
  }

  /** A time of day only as a string ("22:00"): JavaTimeModule also takes arrays such as [22, 0]. */
  private static final class TimeOfDay extends JsonDeserializer<LocalTime> {
    @Override
    public LocalTime deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      if (p.currentToken() != JsonToken.VALUE_STRING) {
        return (LocalTime) ctxt.handleUnexpectedToken(LocalTime.class, p);
      }
      try {
        return LocalTime.parse(p.getText());
      } catch (DateTimeParseException e) {
        throw InvalidFormatException.from(p, "not a time of day", p.getText(), LocalTime.class);
      }
    }

    @Override
    public Class<?> handledType() {
      return LocalTime.class;
    }
  }

  /** {@code Channel.SMS} as {@code "sms"}, {@code TaskState.QUEUED} as {@code "queued"}. */
  @SuppressWarnings("rawtypes")
  private static final class LowerCaseEnum extends JsonSerializer<Enum> {
    @Override
    public void serialize(Enum value, JsonGenerator gen, SerializerProvider serializers) throws IOException {
      gen.writeString(value.name().toLowerCase(Locale.ROOT));
    }

    @Override
    public Class<Enum> handledType() {
      return Enum.class;
    }
  }
}
