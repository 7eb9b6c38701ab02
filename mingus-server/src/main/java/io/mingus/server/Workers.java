package io.mingus.server;

import io.mingus.tasks.Task;
import io.mingus.tasks.Worker;
import java.util.List;

/** Starts a task worker for the communication service's tasks. */
final class Workers {
  private Workers() {}

  static Worker start(Services services, List<String> queues, int concurrency) {
    Worker.Builder builder = Worker.builder(services.db(), services.queue())
        .register(services.service().tasks().toArray(new Task<?>[0]));
    for (String queue : queues) {
      builder.queue(queue, concurrency);
    }
    Worker worker = builder.build();
    worker.start();
    return worker;
  }
}
