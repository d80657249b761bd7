// balena's system log lines for steps (cloud-protocol §6.2).
#include <catch2/catch.hpp>

#include "reconcile/system_message.hpp"

using reconcile::StepPhase;
using reconcile::system_message;

namespace {

reconcile::Service web() {
  reconcile::Service service;
  service.service_name = "web";
  service.image = "example/web:1";
  return service;
}

}  // namespace

TEST_CASE("a new service is installed, then started, in balena's words") {
  const reconcile::Step start = reconcile::Start{web(), "new"};
  CHECK(system_message(start, StepPhase::Started) == "Installing service 'web example/web:1'");
  CHECK(system_message(start, StepPhase::Done) == "Started service 'web example/web:1'");
  CHECK(system_message(start, StepPhase::Failed, "port is already allocated") ==
        "Failed to install service 'web example/web:1' due to 'port is already allocated'");

  reconcile::Service existing = web();
  existing.container_id = "c1";
  CHECK(system_message(reconcile::Start{existing, "created"}, StepPhase::Started) ==
        "Starting service 'web example/web:1'");
}

TEST_CASE("kills, downloads and image deletions name their object; failures their error") {
  CHECK(system_message(reconcile::Kill{web(), "changed"}, StepPhase::Started) == "Killing service 'web example/web:1'");
  CHECK(system_message(reconcile::Kill{web(), "changed"}, StepPhase::Done) == "Killed service 'web example/web:1'");
  reconcile::Image image;
  image.name = "example/web:2";
  CHECK(system_message(reconcile::Fetch{image, "web", "new"}, StepPhase::Failed, "manifest unknown") ==
        "Failed to download image 'example/web:2' due to 'manifest unknown'");
  CHECK(system_message(reconcile::RemoveImage{image, reconcile::EngineCopy::Delete, "unused"}, StepPhase::Done) ==
        "Deleted image 'example/web:2'");
}

TEST_CASE("bookkeeping steps are not announced") {
  CHECK_FALSE(system_message(reconcile::ReleaseLock{1, "settled"}, StepPhase::Started));
  CHECK_FALSE(system_message(reconcile::UpdateCommit{1, "c", "settled"}, StepPhase::Done));
  CHECK_FALSE(system_message(reconcile::Noop{"waiting"}, StepPhase::Started));
  reconcile::Network network;
  network.name = "backend";
  CHECK(system_message(reconcile::CreateNetwork{network, "new"}, StepPhase::Started) == "Creating network 'backend'");
  CHECK_FALSE(system_message(reconcile::CreateNetwork{network, "new"}, StepPhase::Done));
}
