import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.Security;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The identity vault's key-encryption keys in a PKCS#11 token (an HSM; SoftHSM2 in tests), behind
 * a small HTTP service on loopback that the vault's `Pkcs11Kms` adapter calls. The keys are AES-256
 * secret keys generated inside the token and stored there (alias `kek-<epoch ms>`); they never
 * leave it: data keys are sent in, wrapped with AES-GCM by the token, and sent back.
 *
 * Run: `java deploy/kms/Pkcs11KeyService.java` with PKCS11_LIBRARY (the module, e.g.
 * /usr/lib/softhsm/libsofthsm2.so), PKCS11_SLOT_LIST_INDEX (default 0), PKCS11_PIN_FILE (the
 * user PIN), KMS_TOKEN_FILE (the bearer token callers present) and KMS_PORT.
 *
 * POST /wrap {"plaintext":b64} -> {"kekId","bytes":b64}; POST /unwrap {"kekId","bytes":b64} ->
 * {"plaintext":b64}; POST /rotations -> {"kekId"}; GET /current -> {"kekId"}; GET /health.
 */
public final class Pkcs11KeyService {
  private static final Pattern FIELD = Pattern.compile("\"(\\w+)\"\\s*:\\s*\"([^\"]*)\"");
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Provider provider;
  private final KeyStore store;
  private final byte[] token;

  private Pkcs11KeyService(Provider provider, KeyStore store, byte[] token) {
    this.provider = provider;
    this.store = store;
    this.token = token;
  }

  public static void main(String[] args) throws Exception {
    String library = required("PKCS11_LIBRARY");
    String slot = System.getenv().getOrDefault("PKCS11_SLOT_LIST_INDEX", "0");
    char[] pin = Files.readString(Path.of(required("PKCS11_PIN_FILE"))).trim().toCharArray();
    byte[] token = Files.readString(Path.of(required("KMS_TOKEN_FILE"))).trim().getBytes(StandardCharsets.UTF_8);
    int port = Integer.parseInt(required("KMS_PORT"));
    Path config = Files.createTempFile("pkcs11-", ".cfg");
    Files.writeString(config, "name = ConsentLedgerVault\nlibrary = " + library + "\nslotListIndex = " + slot + "\n");
    Provider provider = Security.getProvider("SunPKCS11").configure(config.toString());
    Files.delete(config);
    Security.addProvider(provider);
    KeyStore store = KeyStore.getInstance("PKCS11", provider);
    store.load(null, pin);
    Pkcs11KeyService service = new Pkcs11KeyService(provider, store, token);
    if (service.currentAlias() == null) service.rotate();
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
    server.createContext("/", service::handle);
    server.start();
    System.out.println("pkcs11 key service on 127.0.0.1:" + port + ", current KEK " + service.currentAlias());
  }

  private static String required(String name) {
    String value = System.getenv(name);
    if (value == null || value.isBlank()) throw new IllegalArgumentException(name + " is required");
    return value;
  }

  private synchronized String currentAlias() throws Exception {
    List<String> aliases = new ArrayList<>(Collections.list(store.aliases()));
    aliases.removeIf(alias -> !alias.startsWith("kek-"));
    if (aliases.isEmpty()) return null;
    Collections.sort(aliases);
    return aliases.get(aliases.size() - 1);
  }

  private synchronized String rotate() throws Exception {
    KeyGenerator generator = KeyGenerator.getInstance("AES", provider);
    generator.init(256);
    SecretKey key = generator.generateKey();
    String alias = String.format("kek-%015d", System.currentTimeMillis());
    store.setEntry(alias, new KeyStore.SecretKeyEntry(key), null);
    return alias;
  }

  private SecretKey key(String alias) throws Exception {
    if (!alias.matches("kek-\\d{15}") || !store.containsAlias(alias)) throw new IllegalArgumentException("unknown KEK " + alias);
    return (SecretKey) store.getKey(alias, null);
  }

  private String wrap(String plaintext) throws Exception {
    String alias = currentAlias();
    byte[] iv = new byte[12];
    RANDOM.nextBytes(iv);
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding", provider);
    cipher.init(Cipher.ENCRYPT_MODE, key(alias), new GCMParameterSpec(128, iv));
    cipher.updateAAD(alias.getBytes(StandardCharsets.UTF_8));
    byte[] sealed = cipher.doFinal(Base64.getDecoder().decode(plaintext));
    byte[] out = new byte[iv.length + sealed.length];
    System.arraycopy(iv, 0, out, 0, iv.length);
    System.arraycopy(sealed, 0, out, iv.length, sealed.length);
    return "{\"kekId\":\"" + alias + "\",\"bytes\":\"" + Base64.getEncoder().encodeToString(out) + "\"}";
  }

  private String unwrap(String alias, String bytes) throws Exception {
    byte[] in = Base64.getDecoder().decode(bytes);
    if (in.length < 12 + 16) throw new IllegalArgumentException("wrapped key too short");
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding", provider);
    cipher.init(Cipher.DECRYPT_MODE, key(alias), new GCMParameterSpec(128, in, 0, 12));
    cipher.updateAAD(alias.getBytes(StandardCharsets.UTF_8));
    byte[] plain = cipher.doFinal(in, 12, in.length - 12);
    return "{\"plaintext\":\"" + Base64.getEncoder().encodeToString(plain) + "\"}";
  }

  private void handle(HttpExchange exchange) throws IOException {
    int status = 200;
    String body;
    try {
      String path = exchange.getRequestURI().getPath();
      if (path.equals("/health")) {
        body = "{\"status\":\"ok\"}";
      } else {
        String presented = exchange.getRequestHeaders().getFirst("Authorization");
        byte[] expected = ("Bearer " + new String(token, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        if (presented == null || !MessageDigest.isEqual(expected, presented.getBytes(StandardCharsets.UTF_8))) {
          status = 401;
          body = "{\"error\":\"unauthorised\"}";
        } else {
          String request = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          body = route(exchange.getRequestMethod(), path, request);
        }
      }
    } catch (IllegalArgumentException | javax.crypto.AEADBadTagException error) {
      status = 400;
      body = "{\"error\":\"" + error.getClass().getSimpleName() + "\"}";
    } catch (Exception error) {
      status = 500;
      body = "{\"error\":\"" + error.getClass().getSimpleName() + "\"}";
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private String route(String method, String path, String request) throws Exception {
    Matcher matcher = FIELD.matcher(request);
    java.util.Map<String, String> fields = new java.util.HashMap<>();
    while (matcher.find()) fields.put(matcher.group(1), matcher.group(2));
    if (method.equals("GET") && path.equals("/current")) return "{\"kekId\":\"" + currentAlias() + "\"}";
    if (method.equals("POST") && path.equals("/rotations")) return "{\"kekId\":\"" + rotate() + "\"}";
    if (method.equals("POST") && path.equals("/wrap")) return wrap(need(fields, "plaintext"));
    if (method.equals("POST") && path.equals("/unwrap")) return unwrap(need(fields, "kekId"), need(fields, "bytes"));
    throw new IllegalArgumentException("no such route");
  }

  private static String need(java.util.Map<String, String> fields, String name) {
    String value = fields.get(name);
    if (value == null) throw new IllegalArgumentException(name + " is missing");
    return value;
  }
}
