package io.mingus.server;

import io.mingus.comms.Channel;
import io.mingus.comms.Communication;
import io.mingus.comms.SendRequest;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code mingus send}: queues one communication, as {@code POST /api/communications} does. */
@Command(name = "send", mixinStandardHelpOptions = true,
    description = "Queues an SMS or email to a user and prints the communication; a worker sends it.")
final class SendCommand implements Callable<Integer> {
  @ParentCommand
  MingusCommand parent;

  @Option(names = "--user", required = true, description = "the user id")
  long user;

  @Option(names = "--channel", required = true, description = "sms or email")
  Channel channel;

  @Option(names = "--message", required = true, description = "the text")
  String message;

  @Option(names = "--subject", description = "the subject (email)")
  String subject;

  @Option(names = "--type", description = "the message type (default: general)")
  String messageType;

  @Option(names = "--idempotency-key", description = "a repeated key returns the first communication")
  String idempotencyKey;

  @Override
  public Integer call() {
    try (Services services = Services.open(parent.env())) {
      Communication c = services.service().send(
          new SendRequest(user, channel, message, subject, messageType, idempotencyKey));
      MingusCommand.printJson(parent.spec.commandLine().getOut(), c);
    }
    return Cli.OK;
  }
}
