"""Application services: context, pipeline factory, photo jobs. No Qt."""
