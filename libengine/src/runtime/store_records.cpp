#include "engine/runtime/store_records.hpp"

namespace engine {
namespace {

template <class T>
Status done(const store::Result<T>& result) {
  if (result) return Status::success();
  return error_from(result.error());
}

template <class T>
Status copied(store::Result<T> result, T& out) {
  if (!result) return error_from(result.error());
  out = std::move(result).value();
  return Status::success();
}

}  // namespace

Error error_from(const store::Error& error) { return Error{ErrorKind::Store, error.describe()}; }

Status StoreRecords::images(std::vector<reconcile::Image>& out) { return copied(store_.images(), out); }
Status StoreRecords::add_image(const reconcile::Image& image) { return done(store_.add_image(image)); }
Status StoreRecords::remove_image(const reconcile::Image& image) { return done(store_.remove_image(image)); }
Status StoreRecords::commits(std::map<reconcile::AppId, std::string>& out) { return copied(store_.commits(), out); }
Status StoreRecords::set_commit(reconcile::AppId app, const std::string& commit) {
  return done(store_.set_commit(app, commit));
}

}  // namespace engine
